from __future__ import annotations

import json
from argparse import ArgumentParser, BooleanOptionalAction

from django.core.management.base import BaseCommand, CommandError

from sandbox.services.faults import faults_clear, faults_get, faults_set


class Command(BaseCommand):
    help = (
        "Show or change the sandbox's fault injection (latency, TPS limit, 500/503s, dropped "
        "connections). Options given change only those settings; --off clears them all."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--off", action="store_true", help="Turn every fault off.")
        parser.add_argument("--latency-ms", type=int, help="Added latency per request, in milliseconds.")
        parser.add_argument(
            "--tps", type=float, help="Requests per second per server process before 429 (0: no limit)."
        )
        parser.add_argument(
            "--retry-after",
            action=BooleanOptionalAction,
            default=None,
            help="Send Retry-After with the 429 (the SDK only retries GETs when it is there).",
        )
        parser.add_argument(
            "--error-rate", type=float, help="Fraction of requests answered 500 or 503 (0-1)."
        )
        parser.add_argument("--drop-rate", type=float, help="Fraction of responses cut off mid-body (0-1).")
        parser.add_argument("--json", action="store_true", help="Print the settings as JSON.")

    def handle(self, *args: object, **options: object) -> None:
        changes = {
            "latency_ms": options["latency_ms"],
            "tps_limit": options["tps"],
            "retry_after": options["retry_after"],
            "error_rate": options["error_rate"],
            "drop_rate": options["drop_rate"],
        }
        try:
            if options["off"]:
                config = faults_clear()
            elif any(v is not None for v in changes.values()):
                config = faults_set(**changes)  # type: ignore[arg-type]
            else:
                config = faults_get(fresh=True)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(config.as_dict()))
            return
        if not config.active:
            self.stdout.write("Sandbox faults: off.")
            return
        self.stdout.write(
            f"Sandbox faults: latency {config.latency_ms} ms, TPS limit "
            f"{config.tps_limit or 'none'} per process (Retry-After {'on' if config.retry_after else 'off'}), "
            f"error rate {config.error_rate:.2%}, drop rate {config.drop_rate:.2%}. "
            "Other server processes pick changes up within a second."
        )
