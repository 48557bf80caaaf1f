"""The one reader of URLs for every fetch this server makes on a user's behalf.

Dataset registration (the annotation file and the image check), the dataset gallery and the
sandbox services read URLs that a user typed or that a COCO file names. Each read here:

- applies the endpoint rule (``outbound.endpoints``) to the URL before connecting; loopback is
  allowed only for the origins the caller names (this server's own ``/blobs/``, the sandbox, a
  local Azurite), never for any port of this machine;
- follows no redirect: a 3xx answer is reported, so a redirect cannot lead past the rule;
- stops at a size cap and a timeout;
- attaches a token only to URLs inside the container it belongs to (``Token.applies``).

Messages never contain a token: the URL is shown without its query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError

from outbound.endpoints import validate_endpoint

CHUNK = 256 * 1024


class Unreadable(Exception):
    """A URL that could not be read; ``reason`` is a sentence for the user."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def without_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def origin(url: str) -> str:
    """``scheme://host:port`` in lower case, with the default port made explicit."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"http": 80, "https": 443}.get(scheme, 0)
    except ValueError:
        port = -1
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def own_origins(extra: Iterable[str] = ()) -> set[str]:
    """Origins on this machine that may be read: this server (``/blobs/``, the sandbox) and ``extra``."""
    return {origin(settings.VISIONPORT_PUBLIC_URL), *(origin(u) for u in extra if u)}


def _has_dot_segment(path: str) -> bool:
    return any(part in {".", ".."} for part in unquote(path).replace("\\", "/").split("/"))


@dataclass(frozen=True)
class Token:
    """A query-string credential (SAS) for the blobs under ``base`` (a container URL ending in /)."""

    base: str
    query: str

    def applies(self, url: str) -> bool:
        """Whether ``url`` lies inside ``base``: same origin, path under it, no ``..`` to climb out."""
        if not (self.base and self.query.strip("?")):
            return False
        parts, base = urlsplit(url), urlsplit(self.base)
        if origin(url) != origin(self.base) or _has_dot_segment(parts.path):
            return False
        prefix = base.path if base.path.endswith("/") else base.path + "/"
        return parts.path.startswith(prefix) and len(parts.path) > len(prefix)

    def sign(self, url: str) -> str:
        if not self.applies(url):
            return url
        return f"{url}{'&' if '?' in url else '?'}{self.query.lstrip('?')}"


def check_url(url: str, *, loopback_origins: Iterable[str] = (), any_loopback: bool = False) -> str:
    """``url`` when the endpoint rule lets this server read it; Unreadable with the reason otherwise.

    ``any_loopback`` is for the sandbox services alone: they stand in for Azure, which reads the
    team's storage, and locally that storage (this server, Azurite) is on loopback.
    """
    try:
        bare = without_query(url.strip())
        validate_endpoint(
            bare, loopback=any_loopback or origin(bare) in own_origins(loopback_origins), reading=True
        )
    except ValidationError as exc:
        raise Unreadable(f"Not read: {exc.messages[0]}") from exc
    except ValueError as exc:  # urlsplit: a broken IPv6 literal or port
        raise Unreadable(
            "Not read: Enter the full http(s) URL of the file, e.g. https://myaccount.blob.core.windows.net/data/train.json"
        ) from exc
    return url.strip()


def _reason(response: requests.Response, signed: bool) -> str:
    code = response.headers.get("x-ms-error-code", "")
    text = response.text[:2000] if response.headers.get("content-length", "1") != "0" else ""
    found = re.search(r"<Message>([^<]{1,160})", text)
    detail = f"HTTP {response.status_code}{f' {code}' if code else ''}"
    message = found.group(1).split("\n")[0] if found else ""
    if 300 <= response.status_code < 400:
        return f"The server answered {detail} (a redirect), which is not followed: give the final URL of the file."
    if response.status_code in (401, 403):
        if "expire" in message.lower():
            return f"The SAS token expired ({detail}: {message})."
        hint = "the SAS is wrong or expired" if signed else "the storage refuses anonymous reads"
        return f"Access denied ({detail}): {hint}."
    if response.status_code == 404:
        return f"Not found ({detail}): the file was moved or deleted."
    return f"The server answered {detail}{f': {message}' if message else ''}."


def read_url(
    url: str,
    *,
    limit: int,
    timeout: float,
    token: Token | None = None,
    loopback_origins: Iterable[str] = (),
    any_loopback: bool = False,
    session: requests.Session | None = None,
) -> bytes:
    """The body at ``url``, or Unreadable with a sentence that says why not."""
    url = check_url(url, loopback_origins=loopback_origins, any_loopback=any_loopback)
    signed = token is not None and token.applies(url)
    target = token.sign(url) if token is not None else url
    get = (session or requests).get
    try:
        with get(target, timeout=timeout, stream=True, allow_redirects=False) as response:
            if response.status_code != 200:
                raise Unreadable(_reason(response, signed), response.status_code)
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise Unreadable(f"Larger than {_megabytes(limit)}.")
            chunks, size = [], 0
            for chunk in response.iter_content(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise Unreadable(f"Larger than {_megabytes(limit)}.")
                chunks.append(chunk)
            return b"".join(chunks)
    except requests.RequestException as exc:
        raise Unreadable(f"Cannot be reached ({type(exc).__name__}).") from exc


def _megabytes(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB"
