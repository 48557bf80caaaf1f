"""Login throttling (django-axes): five wrong passwords for one username from one address lock that
pair out for the cool-off, with a sentence on the site's own page (issue 9)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOCKED = (
    "Too many failed sign-ins for this account from your address. "
    "Try again in 15 minutes, or ask an admin to unlock it."
)


def _sign_in(client: Client, username: str, password: str, ip: str = "203.0.113.7"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def _fail(client: Client, username: str, times: int = 5, ip: str = "203.0.113.7") -> None:
    for _ in range(times):
        response = _sign_in(client, username, "wrong-password", ip)
        assert response.status_code in (200, 429)


def test_five_wrong_passwords_lock_the_username_from_that_address(client, personas):
    _fail(client, "bob")
    response = _sign_in(client, "bob", PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert LOCKED in page
    assert "<title>Sign-in locked · Visionport</title>" in page  # the site's base template
    assert "_auth_user_id" not in client.session


def test_four_wrong_passwords_then_the_right_one_signs_in_and_resets_the_count(client, personas):
    _fail(client, "bob", times=4)
    assert _sign_in(client, "bob", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    _fail(client, "bob", times=4)  # the success reset the count: 4 more are still not a lockout
    assert _sign_in(client, "bob", PASSWORD).status_code == 302


def test_another_user_from_the_same_address_and_the_same_user_elsewhere_still_sign_in(personas):
    _fail(Client(), "bob")
    assert _sign_in(Client(), "alice", PASSWORD).status_code == 302
    assert _sign_in(Client(), "bob", PASSWORD, ip="198.51.100.9").status_code == 302
    assert _sign_in(Client(), "bob", PASSWORD).status_code == 429


def test_after_the_cool_off_the_right_password_signs_in(client, personas, settings):
    _fail(client, "bob")
    assert _sign_in(client, "bob", PASSWORD).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )
    assert _sign_in(client, "bob", PASSWORD).status_code == 302


def test_an_admin_unlocks_a_locked_out_username(client, personas):
    _fail(client, "bob")
    assert _sign_in(client, "bob", PASSWORD).status_code == 429
    reset(username="bob")
    assert _sign_in(client, "bob", PASSWORD).status_code == 302


def test_the_address_is_the_one_the_proxy_saw_not_one_the_client_wrote(personas, settings):
    settings.PROXY_COUNT = 1
    for spoofed in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"):
        Client().post(
            reverse("login"),
            {"username": "bob", "password": "wrong-password"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"{spoofed}, 203.0.113.7",
        )
    response = Client().post(
        reverse("login"),
        {"username": "bob", "password": PASSWORD},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7",
    )
    assert response.status_code == 429
    assert AccessAttempt.objects.get().ip_address == "203.0.113.7"
