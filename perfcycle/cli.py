"""The ``perfcycle`` command: Django's management commands plus Perfcycle's own.

``perfcycle demo`` runs the demo on the embedded database; ``perfcycle serve`` runs
production-style under gunicorn; every other word is a Django management command
(``perfcycle migrate``, ``perfcycle createsuperuser``, ``perfcycle db_worker`` ...).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    command = argv[1] if len(argv) > 1 else ""
    default = "perfcycle.settings.production" if command == "serve" else "perfcycle.settings.base"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", default)
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
