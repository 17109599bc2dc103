"""``perfcycle demo``: migrate, load the demo company once, serve it, print the logins."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from perfcycle.demo import DEMO_LOGINS, DEMO_PASSWORD, demo_load


class Command(BaseCommand):
    help = "Create or reuse the demo company in the data folder and serve it on 127.0.0.1."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on (8000).")
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help="Only prepare the data, do not start the server.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        database = settings.DATABASES["default"]
        self.stdout.write(f"Database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}")
        call_command("migrate", interactive=False, verbosity=0)
        applied = demo_load(stdout=self.stdout)
        if applied:
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {', '.join(applied)}"))
        else:
            self.stdout.write("Demo data already present; reusing it.")
        call_command("collectstatic", interactive=False, verbosity=0)
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Perfcycle demo: {url}"))
        self.stdout.write(f"Logins (password for all: {DEMO_PASSWORD}):")
        for role, username in DEMO_LOGINS:
            self.stdout.write(f"  {role:<10} {username}")
        self.stdout.write("  Everyone else signs in with the pinyin of their name, e.g. liuyang.")
        self.stdout.write("")
        if options["no_serve"]:
            return
        call_command(
            "runserver",
            f"{options['host']}:{options['port']}",
            use_reloader=False,
            use_threading=True,
        )
