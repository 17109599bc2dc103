"""``perfcycle backup [--output DIR] [--compress]``; ``perfcycle backup --verify FILE``.

The work is in ``perfcycle.core.backup``; this parses, calls it and reports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from perfcycle.audit.context import audit_context
from perfcycle.core.backup import BackupError, backup_create, backup_verify


class Command(BaseCommand):
    help = (
        "Back up the whole database into one file with a manifest (engine, migrations, row "
        "counts and checksums per table), or check a backup file with --verify."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help="Folder for the backup file (default: backups/ in the data folder).",
        )
        parser.add_argument("--compress", action="store_true", help="Compress with gzip.")
        parser.add_argument(
            "--verify",
            type=Path,
            metavar="FILE",
            help="Check this backup file instead of making one; touches no database.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["verify"]:
                self._verify(options["verify"])
            else:
                self._backup(options["output"], compress=options["compress"])
        except BackupError as error:
            raise CommandError(error.message) from error

    def _backup(self, output: Path | None, *, compress: bool) -> None:
        with audit_context(source="command"):
            result = backup_create(output_dir=output, compress=compress)
        tables = result.manifest["tables"]
        self.stdout.write(
            self.style.SUCCESS(
                _("Backup written: %(path)s (%(engine)s, %(tables)s tables, %(rows)s rows).")
                % {
                    "path": result.path,
                    "engine": result.manifest["engine"],
                    "tables": len(tables),
                    "rows": sum(t["rows"] for t in tables.values()),
                }
            )
        )

    def _verify(self, path: Path) -> None:
        result = backup_verify(path=path)
        manifest = result.manifest
        self.stdout.write(
            _("Backup of %(engine)s made %(created)s by Perfcycle %(version)s, %(tables)s tables.")
            % {
                "engine": manifest["engine"],
                "created": manifest["created_at"],
                "version": manifest["app_version"],
                "tables": len(manifest["tables"]),
            }
        )
        for problem in result.problems:
            self.stderr.write(problem)
        if not result.ok:
            raise CommandError(
                _("%(path)s failed verification (%(count)s problems).")
                % {"path": path, "count": len(result.problems)}
            )
        self.stdout.write(
            self.style.SUCCESS(_("Verified: %(checks)s.") % {"checks": ", ".join(result.checks)})
        )
