"""The "Add a person" form applies Django's username rules before it creates an account (issue 9)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("username", ["<img src=x onerror=alert(4)>", "two words", "a" * 151])
def test_a_username_django_refuses_is_a_form_error_and_no_account(client, personas, username):
    login(client, personas.alice)
    response = client.post(
        reverse("workspaces:member_add", kwargs={"ws_id": personas.workspace.pk}),
        {"username": username, "email": "", "role": "member"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a valid username" in page or "at most 150 characters" in page, page
    assert not User.objects.filter(username=username).exists()
    assert "<img src=x" not in page


def test_a_username_django_accepts_still_creates_the_account(client, personas):
    login(client, personas.alice)
    response = client.post(
        reverse("workspaces:member_add", kwargs={"ws_id": personas.workspace.pk}),
        {"username": "zoë.o+lab@x-y_z", "email": "", "role": "member"},
    )
    assert response.status_code == 302
    assert User.objects.filter(username="zoë.o+lab@x-y_z").exists()
