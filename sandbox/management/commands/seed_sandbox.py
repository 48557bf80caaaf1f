from __future__ import annotations

import json
import time
from argparse import ArgumentParser
from dataclasses import asdict

from django.core.management.base import BaseCommand, CommandError

from sandbox.services.seed import seed_benchmark, seed_demo


class Command(BaseCommand):
    help = (
        "Create the sandbox's demo projects (generated shape pictures), or with --images a large "
        "benchmark project. Idempotent: existing projects of the same name are left alone."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--reset", action="store_true", help="Delete and recreate the projects named.")
        parser.add_argument(
            "--images", type=int, help="Create a benchmark project of this many images instead."
        )
        parser.add_argument("--name", default="", help="The benchmark project's name.")
        kind = parser.add_mutually_exclusive_group()
        kind.add_argument(
            "--detector", action="store_true", help="Benchmark: object detection, with regions."
        )
        kind.add_argument(
            "--classifier", action="store_true", help="Benchmark: multiclass classification (default)."
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print only one JSON object per project, one per line (name, project_id, counts).",
        )

    def handle(self, *args: object, **options: object) -> None:
        as_json = bool(options["json"])
        log = (lambda _line: None) if as_json else self.stdout.write
        began = time.monotonic()
        if options["images"] is None:
            if options["name"] or options["detector"] or options["classifier"]:
                raise CommandError("--name, --detector and --classifier go with --images.")
            reports = seed_demo(reset=bool(options["reset"]), log=log)
        else:
            images = int(options["images"])  # type: ignore[call-overload]
            if images < 1:
                raise CommandError("--images must be at least 1.")
            detector = bool(options["detector"])
            name = str(
                options["name"] or f"Benchmark {'detector' if detector else 'classifier'} ({images} images)"
            )
            reports = [
                seed_benchmark(
                    name=name, images=images, detector=detector, reset=bool(options["reset"]), log=log
                )
            ]
        for report in reports:
            self.stdout.write(json.dumps(asdict(report)) if as_json else report.line())
        log(f"Done in {time.monotonic() - began:.1f} s.")
