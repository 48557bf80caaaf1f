from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from sandbox.keys import sandbox_info


class Command(BaseCommand):
    help = "Print the sandbox endpoints and keys."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args, **options) -> None:
        info = sandbox_info()
        if options["json"]:
            self.stdout.write(json.dumps(info, indent=2))
            return
        for service, values in info.items():
            self.stdout.write(service)
            for key, value in values.items():
                self.stdout.write(f"  {key}: {value}")
