from __future__ import annotations

import json
from argparse import ArgumentParser

from django.core.management.base import BaseCommand

from sandbox.keys import sandbox_info
from sandbox.models import SandboxImage, SandboxProject
from sandbox.services.faults import faults_get


class Command(BaseCommand):
    help = "Print the sandbox endpoints and keys, with what the Custom Vision sandbox holds."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: object, **options: object) -> None:
        info: dict[str, dict[str, object]] = {k: dict(v) for k, v in sandbox_info().items()}
        info["custom_vision"]["projects"] = SandboxProject.objects.count()
        info["custom_vision"]["images"] = SandboxImage.objects.count()
        info["faults"] = faults_get(fresh=True).as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(info, indent=2))
            return
        for service, values in info.items():
            self.stdout.write(service)
            for key, value in values.items():
                self.stdout.write(f"  {key}: {value}")
