"""``perfcycle restore FILE [--force]``: restore a backup made by ``perfcycle backup``.

The work is in ``perfcycle.core.backup``; this parses, calls it and reports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from perfcycle.audit.context import audit_context
from perfcycle.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup into the configured database, then compare every table with the "
        "backup's manifest. A database that already has tables is replaced only with --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The backup file.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace a database that already has tables (everything in it is lost).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with audit_context(source="command"):
                result = backup_restore(path=options["file"], force=options["force"])
        except BackupError as error:
            raise CommandError(error.message) from error
        tables = result.manifest["tables"]
        self.stdout.write(
            _("Restored %(path)s (%(engine)s, made %(created)s).")
            % {
                "path": result.path,
                "engine": result.manifest["engine"],
                "created": result.manifest["created_at"],
            }
        )
        if result.pending_migrations:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "The backup is older than this version of Perfcycle: run "
                        "`perfcycle migrate` (%(count)s migrations to apply)."
                    )
                    % {"count": len(result.pending_migrations)}
                )
            )
        if result.unknown_migrations:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "The backup was made by a newer version of Perfcycle (unknown "
                        "migrations: %(names)s); install that version."
                    )
                    % {"names": ", ".join(result.unknown_migrations[:10])}
                )
            )
        for problem in result.problems:
            self.stderr.write(problem)
        if not result.ok:
            raise CommandError(
                _("The restored database differs from the backup (%(count)s problems).")
                % {"count": len(result.problems)}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Verified: all %(tables)s tables have the backup's row counts and "
                    "checksums (%(rows)s rows)."
                )
                % {"tables": len(tables), "rows": sum(t["rows"] for t in tables.values())}
            )
        )
