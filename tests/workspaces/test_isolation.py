"""Workspace isolation: outsiders get 404 on every workspace URL, anonymous users get the login page."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from jobs.models import Job
from tests.conftest import login

pytestmark = pytest.mark.django_db


def _workspace_routes() -> list[str]:
    """Every route under a workspace id, read from the URLconf: new pages are covered automatically."""
    routes = []

    def walk(patterns, prefix=""):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern) and "<uuid:ws_id>" in route:
                routes.append(route)

    walk(get_resolver().url_patterns)
    return sorted(set(routes))


def _build(route: str, personas, job: Job) -> str:
    values = {
        "<uuid:ws_id>": personas.workspace.pk,
        "<uuid:job_id>": job.pk,
        "<uuid:membership_id>": personas.bob_membership.pk,
        "<str:kind>": "custom_vision",
        "<uuid:project_id>": "11111111-2222-3333-4444-555555555555",
        "<path:name>": "exports/train.json",
        "<str:name>": "some-dataset",
        "<int:image_id>": 1,
    }
    for placeholder, value in values.items():
        route = route.replace(placeholder, str(value))
    assert "<" not in route, f"add a value for {route}"
    return "/" + route


@pytest.fixture
def urls(personas):
    job = Job.objects.create(
        workspace=personas.workspace, actor=personas.bob, kind="check_connections", status=Job.Status.FAILED
    )
    routes = _workspace_routes()
    assert len(routes) >= 15, routes  # the walk found the product's pages
    return [_build(route, personas, job) for route in routes]


def test_outsiders_get_404_on_every_workspace_url(client, personas, urls):
    login(client, personas.charlie)
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    assert Job.objects.filter(workspace=personas.workspace).count() == 1  # nothing was started


def test_a_guessed_workspace_id_is_404(client, personas):
    login(client, personas.alice)
    assert client.get("/w/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get(f"/w/{personas.other_workspace.pk}/jobs/").status_code == 404


def test_a_job_of_another_workspace_is_404_even_inside_ones_own(client, personas):
    foreign = Job.objects.create(
        workspace=personas.other_workspace, actor=personas.charlie, kind="check_connections"
    )
    login(client, personas.alice)
    url = reverse("jobs:detail", kwargs={"ws_id": personas.workspace.pk, "job_id": foreign.pk})
    assert client.get(url).status_code == 404


def test_anonymous_users_are_sent_to_login_everywhere(client, personas, urls):
    for url in [*urls, "/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url


def _admin_only_routes() -> list[str]:
    """Every route whose view is ``workspace_view(admin_only=True)``, read from the URLconf."""
    routes = []

    def walk(patterns, prefix=""):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif getattr(p.callback, "admin_only", False):
                routes.append(route)

    walk(get_resolver().url_patterns)
    return sorted(set(routes))


def test_members_get_403_on_every_admin_only_view(client, personas):
    job = Job.objects.create(workspace=personas.workspace, actor=personas.alice, kind="check_connections")
    routes = _admin_only_routes()
    names = " ".join(routes)
    for part in ("connections/", "members/", "datasets/<str:name>/delete", "models/<str:name>/delete"):
        assert part in names, (part, routes)  # the walk sees the known ones; new ones come by themselves
    login(client, personas.bob)
    for url in [_build(route, personas, job) for route in routes]:
        for response in (client.get(url), client.post(url, {"role": "member", "username": "x"})):
            assert response.status_code == 403, url
            assert "t do that here" in response.content.decode(), url
    assert personas.bob_membership.role == "member"


def test_a_member_cannot_cancel_someone_elses_training(client, personas):
    from customization.models import ModelRecord

    job = Job.objects.create(
        workspace=personas.workspace, actor=personas.alice, kind="train_model", status=Job.Status.RUNNING
    )
    ModelRecord.objects.create(workspace=personas.workspace, name="alices-model", budget_hours=1, job=job)
    login(client, personas.bob)
    url = reverse(
        "customization:model_cancel", kwargs={"ws_id": personas.workspace.pk, "name": "alices-model"}
    )
    assert client.post(url).status_code == 404
    job.refresh_from_db()
    assert not job.cancel_requested
    login(client, personas.alice)
    assert client.post(url).status_code == 302
    job.refresh_from_db()
    assert job.cancel_requested


def test_members_see_only_their_own_jobs(client, personas):
    alices = Job.objects.create(workspace=personas.workspace, actor=personas.alice, kind="check_connections")
    bobs = Job.objects.create(workspace=personas.workspace, actor=personas.bob, kind="check_connections")
    login(client, personas.bob)
    page = client.get(reverse("jobs:history", kwargs={"ws_id": personas.workspace.pk})).content.decode()
    assert str(bobs.pk) in page
    assert str(alices.pk) not in page
    detail = reverse("jobs:detail", kwargs={"ws_id": personas.workspace.pk, "job_id": alices.pk})
    assert client.get(detail).status_code == 404
    login(client, personas.alice)
    page = client.get(reverse("jobs:history", kwargs={"ws_id": personas.workspace.pk})).content.decode()
    assert str(bobs.pk) in page
    assert str(alices.pk) in page
