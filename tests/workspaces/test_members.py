"""Members: admins add people (new accounts get a one-time password), change roles, remove them."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.conftest import PASSWORD, login
from workspaces.models import Membership

pytestmark = pytest.mark.django_db


def test_an_admin_adds_an_existing_user(client, personas):
    login(client, personas.alice)
    response = client.post(
        reverse("workspaces:member_add", kwargs={"ws_id": personas.workspace.pk}),
        {"username": "charlie", "role": "member"},
        follow=True,
    )
    assert "charlie added." in response.content.decode()
    assert Membership.objects.get(workspace=personas.workspace, user=personas.charlie).role == "member"


def test_an_admin_creates_an_account_whose_password_is_shown_once(client, personas):
    login(client, personas.alice)
    url = reverse("workspaces:member_add", kwargs={"ws_id": personas.workspace.pk})
    page = client.post(
        url, {"username": "dana", "email": "d@example.org", "role": "admin"}, follow=True
    ).content.decode()
    assert "Account dana created with the password" in page
    password = re.search(r'<code class="secret" id="new-password">([^<]+)</code>', page).group(1)
    assert client.login(username="dana", password=password)
    assert Membership.objects.get(user__username="dana").role == "admin"
    login(client, personas.alice)
    page = client.get(
        reverse("workspaces:settings", kwargs={"ws_id": personas.workspace.pk})
    ).content.decode()
    assert password not in page


def test_a_generated_password_is_monospace_with_a_copy_button(client, personas):
    login(client, personas.alice)
    url = reverse("workspaces:member_add", kwargs={"ws_id": personas.workspace.pk})
    page = client.post(url, {"username": "erin", "email": "", "role": "member"}, follow=True).content.decode()
    assert re.search(r'<code class="secret" id="new-password">[^<]{8,}</code>', page), page
    assert (
        '<button type="button" class="btn btn-sm" data-copy="#new-password" id="copy-password">Copy</button>'
        in page
    )


def test_a_hostile_username_is_escaped_next_to_the_password(client, personas):
    login(client, personas.alice)
    url = reverse("workspaces:member_add", kwargs={"ws_id": personas.workspace.pk})
    page = client.post(
        url, {"username": "x<b>y", "email": "", "role": "member"}, follow=True
    ).content.decode()
    assert "<b>y" not in page


def test_adding_a_member_twice_says_so(client, personas):
    login(client, personas.alice)
    response = client.post(
        reverse("workspaces:member_add", kwargs={"ws_id": personas.workspace.pk}),
        {"username": "bob", "role": "member"},
    )
    assert response.status_code == 400
    assert "bob is already a member" in response.content.decode()


def test_the_last_admin_cannot_be_demoted_or_removed(client, personas):
    login(client, personas.alice)
    url = reverse(
        "workspaces:member_update",
        kwargs={"ws_id": personas.workspace.pk, "membership_id": personas.alice_membership.pk},
    )
    page = client.post(url, {"role": "member"}, follow=True).content.decode()
    assert "at least one admin" in page
    page = client.post(url, {"action": "remove"}, follow=True).content.decode()
    assert "cannot remove the last admin" in page
    assert Membership.objects.get(pk=personas.alice_membership.pk).role == "admin"


def test_an_admin_promotes_and_removes_members(client, personas):
    login(client, personas.alice)
    url = reverse(
        "workspaces:member_update",
        kwargs={"ws_id": personas.workspace.pk, "membership_id": personas.bob_membership.pk},
    )
    client.post(url, {"role": "admin"})
    assert Membership.objects.get(pk=personas.bob_membership.pk).role == "admin"
    client.post(url, {"action": "remove"})
    assert not Membership.objects.filter(pk=personas.bob_membership.pk).exists()
    login(client, personas.bob)
    assert (
        client.get(reverse("workspaces:overview", kwargs={"ws_id": personas.workspace.pk})).status_code == 404
    )


def test_a_user_switches_between_workspaces(client, personas):
    Membership.objects.create(workspace=personas.other_workspace, user=personas.alice, role="member")
    login(client, personas.alice)
    page = client.get(
        reverse("workspaces:overview", kwargs={"ws_id": personas.other_workspace.pk})
    ).content.decode()
    assert "Alice&#x27;s team" in page
    assert "Charlie&#x27;s team" in page
    assert client.get("/")["Location"] == f"/w/{personas.other_workspace.pk}/"  # remembers the last one


def test_anyone_can_create_a_workspace_and_becomes_its_admin(client, personas):
    login(client, personas.bob)
    response = client.post(reverse("workspaces:new"), {"name": "Bob's lab"})
    membership = Membership.objects.get(user=personas.bob, workspace__name="Bob's lab")
    assert membership.role == "admin"
    assert response["Location"] == reverse("workspaces:settings", kwargs={"ws_id": membership.workspace_id})


def test_login_logout_and_password_change(client, personas):
    assert client.post(reverse("login"), {"username": "bob", "password": PASSWORD}).status_code == 302
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "an0ther-long-pass",
            "new_password2": "an0ther-long-pass",
        },
    )
    assert response.status_code == 302
    client.post(reverse("logout"))
    assert client.get("/").status_code == 302
    assert User.objects.get(username="bob").check_password("an0ther-long-pass")
