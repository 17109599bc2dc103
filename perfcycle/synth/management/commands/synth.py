"""``perfcycle synth --employees N --seed S``: build the synthetic company for benchmarks."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from perfcycle.synth.build import SynthError, synth_build


class Command(BaseCommand):
    help = "Build a deterministic synthetic company (people, goals, actuals, 360 reviews)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--employees", type=int, default=1000, help="Number of people.")
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed (same seed, same data)."
        )
        parser.add_argument(
            "--fresh", action="store_true", help="Refuse if the database already has employees."
        )
        parser.add_argument(
            "--force", action="store_true", help="With --fresh: build even though it has some."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        database = settings.DATABASES["default"]
        self.stdout.write(
            f"Synthetic company: {options['employees']:,} employees, seed {options['seed']}, "
            f"{database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}"
        )
        started = time.perf_counter()
        try:
            report = synth_build(
                employees=options["employees"],
                seed=options["seed"],
                fresh=options["fresh"],
                force=options["force"],
                log=self.stdout.write,
            )
        except SynthError as exc:
            raise CommandError(str(exc)) from exc
        counts = ", ".join(f"{k} {v:,}" for k, v in report.counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Built in {time.perf_counter() - started:.1f} s: {counts}")
        )
        self.stdout.write(
            "Logins synth-hr (HR admin), synth-manager, synth-employee; demo password."
        )
