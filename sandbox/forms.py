"""The form of the sandbox's fault-injection settings page. Rates are shown in percent."""

from __future__ import annotations

from django import forms

from sandbox.services.faults import FaultConfig


def _between(message: str) -> dict[str, str]:
    # No "%" in the text: Django formats min/max messages with %-style params.
    return {"min_value": message, "max_value": message, "invalid": message, "required": message}


def _plain(value: float) -> float | int:
    """1 rather than 1.0 in the inputs, and no float noise (0.07 * 100)."""
    value = round(value, 4)
    return int(value) if value.is_integer() else value


class FaultsForm(forms.Form):
    latency_ms = forms.IntegerField(
        min_value=0,
        max_value=10000,
        label="Added latency (ms)",
        error_messages=_between("Enter a number of milliseconds from 0 to 10000."),
        help_text="Every request waits this long before it is answered. 0: none.",
        widget=forms.NumberInput(attrs={"step": 1}),
    )
    tps_limit = forms.FloatField(
        min_value=0,
        label="TPS limit (requests per second)",
        error_messages={
            "min_value": "Enter 0 (no limit) or a positive number of requests per second.",
            "invalid": "Enter 0 (no limit) or a positive number of requests per second.",
            "required": "Enter 0 (no limit) or a positive number of requests per second.",
        },
        help_text="Requests over it are answered 429 Too Many Requests. Counted per server process. 0: no limit.",
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    retry_after = forms.BooleanField(
        required=False,
        label="Send Retry-After with the 429",
        help_text="The Custom Vision SDK retries a GET only when the header is there; untick it to test "
        "your own back-off.",
    )
    error_percent = forms.FloatField(
        min_value=0,
        max_value=100,
        label="Server errors (% of requests)",
        error_messages=_between("Enter a percentage from 0 to 100."),
        help_text="This share of requests is answered 500 or 503.",
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    drop_percent = forms.FloatField(
        min_value=0,
        max_value=100,
        label="Dropped connections (% of requests)",
        error_messages=_between("Enter a percentage from 0 to 100."),
        help_text="This share of responses is cut off halfway, as a lost connection would be.",
        widget=forms.NumberInput(attrs={"step": "any"}),
    )

    @classmethod
    def initial_from(cls, config: FaultConfig) -> dict[str, object]:
        return {
            "latency_ms": config.latency_ms,
            "tps_limit": _plain(config.tps_limit),
            "retry_after": config.retry_after,
            "error_percent": _plain(config.error_rate * 100),
            "drop_percent": _plain(config.drop_rate * 100),
        }

    def changes(self) -> dict[str, object]:
        """The cleaned values as faults_set's keyword arguments (rates as fractions)."""
        data = self.cleaned_data
        return {
            "latency_ms": data["latency_ms"],
            "tps_limit": data["tps_limit"],
            "retry_after": data["retry_after"],
            "error_rate": data["error_percent"] / 100,
            "drop_rate": data["drop_percent"] / 100,
        }
