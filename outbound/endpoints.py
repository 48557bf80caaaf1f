"""Validation of the service endpoints a workspace may connect to."""

from __future__ import annotations

import ipaddress
import socket
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


# Cloud metadata services: never a service endpoint, whatever the operator allows.
METADATA = {
    ipaddress.ip_address("169.254.169.254"),  # Azure IMDS, AWS, GCP
    ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    ipaddress.ip_address("fd00:ec2::254"),  # AWS IMDS over IPv6
}
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _literal(host: str) -> Address | None:
    """The address a host names literally, in any form a resolver accepts: dotted, decimal
    (2130706433), hex (0x7f.1), octal, short (127.1), IPv6, IPv4-mapped IPv6."""
    host = host.strip("[]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        try:
            address = ipaddress.ip_address(socket.inet_aton(host))
        except OSError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def host_addresses(host: str) -> list[Address]:
    """The addresses ``host`` stands for: itself if it is a literal, else what it resolves to now
    (nothing when it does not resolve: reaching it is then Check connections' business)."""
    literal = _literal(host)
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return [a for a in (_literal(str(info[4][0]).split("%")[0]) for info in infos) if a is not None]


def address_refusal(address: Address) -> str | None:
    """Why a service endpoint may not be at ``address`` (None when it may)."""
    if address in METADATA:
        return "a cloud metadata service"
    if address.is_loopback:
        return None  # the sandbox and Azurite on this machine
    if address.is_link_local:
        return "a link-local address"
    if address.is_unspecified or address.is_multicast or address.is_reserved:
        return "not a service address"
    if address.is_private or (isinstance(address, ipaddress.IPv4Address) and address in _SHARED):
        return "a private network address"
    return None


_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT, not is_private in Python


def validate_endpoint(url: str, *, loopback: bool = True, reading: bool = False) -> str:
    """Return the endpoint without a trailing slash, or raise ValidationError with a fix.

    Azure endpoints must use https; plain http is accepted only for loopback (the sandbox,
    Azurite) and for hosts the operator lists in VISIONPORT_ALLOWED_HTTP_HOSTS. With
    ``loopback=False`` (a URL read for a user, outside this server's own origins) this machine's
    addresses are refused like private ones. ``reading`` words the sentences for a file's URL
    (``outbound.reader``) rather than a service endpoint typed in Settings.
    """
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        if reading:
            raise ValidationError(
                "Enter the full http(s) URL of the file, e.g. https://myaccount.blob.core.windows.net/data/train.json"
            )
        raise ValidationError("Enter a full URL, e.g. https://myresource.cognitiveservices.azure.com/")
    if parts.username or parts.password:
        raise ValidationError("Put keys in the key field, not in the URL.")
    if parts.query or parts.fragment:
        raise ValidationError(
            "The endpoint must not contain a query string; put SAS tokens in the secret field."
        )
    host = parts.hostname
    allowed = (
        host in settings.VISIONPORT_ALLOWED_HTTP_HOSTS or host in settings.VISIONPORT_ALLOWED_PRIVATE_HOSTS
    )
    for address in host_addresses(host):
        refusal = address_refusal(address) or (
            None if loopback or not address.is_loopback else "this machine"
        )
        if refusal and not (allowed and address not in METADATA):
            shown = host if str(address) == host.strip("[]") else f"{host} ({address})"
            if reading:
                raise ValidationError(
                    f"{shown} is {refusal}: this server does not read files there. Use the file's "
                    "public URL (in Azure Blob Storage, for example), or ask your operator to allow "
                    "this host (VISIONPORT_ALLOWED_PRIVATE_HOSTS)."
                )
            raise ValidationError(
                f"{shown} is {refusal}, not an Azure service endpoint. Use the resource's public "
                "endpoint, or ask your operator to allow this host (VISIONPORT_ALLOWED_PRIVATE_HOSTS)."
            )
    if parts.scheme == "http" and not (
        (loopback and is_loopback(host)) or host in settings.VISIONPORT_ALLOWED_HTTP_HOSTS
    ):
        where = "this server's own storage" if reading else "this machine (the sandbox)"
        raise ValidationError(
            f"Use https:// for {host}. Plain http is only allowed for {where} and hosts your operator allows."
        )
    return url.rstrip("/")


def connection_string_endpoints(value: str) -> list[str]:
    """The endpoints a storage connection string points at (explicit ``*Endpoint=`` entries, or
    the blob endpoint built from ``AccountName`` and ``EndpointSuffix``)."""
    fields: dict[str, str] = {}
    for part in value.strip().split(";"):
        key, sep, item = part.partition("=")
        if sep:
            fields[key.strip().lower()] = item.strip()
    endpoints = [v for k, v in fields.items() if k.endswith("endpoint") and v]
    if not endpoints and fields.get("accountname"):
        protocol = fields.get("defaultendpointsprotocol", "https")
        suffix = fields.get("endpointsuffix", "core.windows.net")
        endpoints.append(f"{protocol}://{fields['accountname']}.blob.{suffix}")
    return endpoints
