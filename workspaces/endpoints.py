"""Validation of the service endpoints a workspace may connect to."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_endpoint(url: str) -> str:
    """Return the endpoint without a trailing slash, or raise ValidationError with a fix.

    Azure endpoints must use https; plain http is accepted only for loopback (the sandbox,
    Azurite) and for hosts the operator lists in VISIONPORT_ALLOWED_HTTP_HOSTS.
    """
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValidationError("Enter a full URL, e.g. https://myresource.cognitiveservices.azure.com/")
    if parts.username or parts.password:
        raise ValidationError("Put keys in the key field, not in the URL.")
    if parts.query or parts.fragment:
        raise ValidationError(
            "The endpoint must not contain a query string; put SAS tokens in the secret field."
        )
    host = parts.hostname
    if parts.scheme == "http" and not (is_loopback(host) or host in settings.VISIONPORT_ALLOWED_HTTP_HOSTS):
        raise ValidationError(
            f"Use https:// for {host}. Plain http is only allowed for this machine "
            "(the sandbox) and hosts your operator allows."
        )
    return url.rstrip("/")
