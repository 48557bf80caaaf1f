"""Login throttling with django-axes: the lockout page, and the client address that axes counts by.

After ``AXES_FAILURE_LIMIT`` wrong passwords for one username from one address, that pair is
refused for ``AXES_COOLOFF_TIME``; another username from that address, or that username from
another address, still signs in. The page says so in words, in the site's own layout.
"""

from __future__ import annotations

from datetime import timedelta

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class LockoutBackend(AxesStandaloneBackend):
    """Axes' backend, for a sign-in with no request too.

    Every sign-in through a page (the login page, the admin's) passes its request and is counted.
    ``authenticate()`` without a request (Django's test ``Client.login``, a script) has no address
    to count by: axes' own backend raises there, this one leaves it to the next backend.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: object,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def _wait_text(cool_off: timedelta | None) -> str:
    if not cool_off:
        return ""
    minutes = max(1, round(cool_off.total_seconds() / 60))
    return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the lockout page, HTTP 429, rendered with base.html."""
    wait = _wait_text(get_cool_off(request))
    return render(
        request, "registration/locked_out.html", {"wait": wait}, status=settings.AXES_HTTP_RESPONSE_CODE
    )


def client_ip(request: HttpRequest) -> str:
    """``AXES_CLIENT_IP_CALLABLE``: the browser's address, not the TLS proxy's.

    With ``PROXY_COUNT`` = N (the proxies in front of gunicorn, each appending to
    ``X-Forwarded-For`` as nginx's ``$proxy_add_x_forwarded_for`` does), the N-th address from the
    right is the one the outermost proxy saw; addresses further left were sent by the client and are
    not trusted. With 0 (the default, gunicorn reached directly) the header is ignored.
    """
    count = settings.PROXY_COUNT
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    if count > 0 and len(forwarded) >= count:
        return forwarded[-count]
    return request.META.get("REMOTE_ADDR", "")
