"""Every URL of the URLconf, walked with hostile and looping ``next`` values, both trailing-slash
forms and every method, logged out, as a member and as a staff admin: never a 500, and no redirect
that leaves the site.

The routes are read from the URLconf (as tests/workspaces/test_isolation.py does), so a new page is
walked as soon as it is routed; a route the walk cannot fill a value for fails the test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RoutePattern
from django.utils.regex_helper import normalize

from jobs.models import Job
from tests.conftest import PASSWORD, login

pytestmark = pytest.mark.django_db

HOSTILE_NEXT = [
    "/accounts/login/",
    "/accounts/login/?next=/accounts/login/",
    "//evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "/\\evil.example",
    "/" + "x" * 6000,
    "/\r\nSet-Cookie: evil=1",
    "/%0d%0aSet-Cookie:%20evil=1",
]
METHODS = ["get", "post", "put", "patch", "delete", "head", "options"]


@dataclass(frozen=True)
class Route:
    route: str  # joined as ResolverMatch.route joins it
    levels: tuple  # the pattern objects from the root to the leaf


def _routes() -> list[Route]:
    found = []

    def walk(patterns, levels=()):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, (*levels, p.pattern))
            elif isinstance(p, URLPattern):
                chain = (*levels, p.pattern)
                joined = ""
                for level in chain:
                    joined = joined + str(level).removeprefix("^") if joined else str(level)
                found.append(Route(joined, chain))

    walk(get_resolver().url_patterns)
    return found


def _path_value(route: str, placeholder: str, ctx: dict) -> str:
    """The value for one ``<converter:name>`` of a path() route."""
    if placeholder == "<path:object_id>":  # the admin's change, delete and history pages
        for prefix, value in ctx["admin_objects"].items():
            if prefix in route:
                return value
        return "1"
    by_placeholder = {
        "<uuid:ws_id>": ctx["ws"],
        "<uuid:membership_id>": ctx["membership"],
        "<str:kind>": "custom_vision",
        "<uuid:project_id>": "11111111-2222-3333-4444-555555555555",
        "<path:name>": "exports/train.json",
        "<str:name>": "some-dataset",
        "<int:image_id>": "1",
        "<str:root>": "exports",
        "<path:path>": "images/a.jpg",
        "<id>": ctx["user"],
        "<path:content_type_id>": ctx["user_type"],
    }
    assert placeholder in by_placeholder, f"add a value for {placeholder} of {route}"
    return by_placeholder[placeholder]


REGEX_VALUES = {
    "version": "v3.3",
    "domain_id": "00000000-0000-0000-0000-000000000001",
    "project_id": "11111111-2222-3333-4444-555555555555",
    "tag_id": "22222222-3333-4444-5555-666666666666",
    "rest": "anything/else",
    "name": "some-model",
    "model": "some-model",
    "app_label": "auth",
    "url": "nowhere/",
}


def _build(route: Route, ctx: dict) -> list[str]:
    """Paths that resolve to ``route``: one per job for the routes of a job, one otherwise."""
    if all(isinstance(level, RoutePattern) for level in route.levels):
        text = route.route
        jobs = ctx["jobs"] if "<uuid:job_id>" in text else [None]
        paths = []
        for job in jobs:
            filled = text.replace("<uuid:job_id>", str(job)) if job else text
            for placeholder in re.findall(r"<[^>]+>", filled):
                filled = filled.replace(placeholder, str(_path_value(route.route, placeholder, ctx)), 1)
            paths.append("/" + filled)
    else:
        regex = "".join(level.regex.pattern.lstrip("^") for level in route.levels)
        template, params = normalize(regex)[0]  # the shortest form, as reverse() writes it
        missing = set(params) - set(REGEX_VALUES)
        assert not missing, f"add a value for {missing} of {route.route}"
        paths = ["/" + template % {p: REGEX_VALUES[p] for p in params}]
    for path in paths:
        assert resolve(path).route == route.route, f"{path} does not resolve to {route.route}"
    return paths


def _slash_variant(path: str) -> str:
    return path[:-1] if path.endswith("/") and len(path) > 1 else path + "/"


def _leaves_the_site(location: str) -> bool:
    parts = urlsplit(location)
    if parts.scheme and parts.scheme not in {"http", "https"}:
        return True
    if location.startswith(("//", "/\\", "\\")):
        return True
    return bool(parts.netloc) and parts.netloc != "testserver"


@pytest.fixture
def ctx(personas):
    personas.alice.is_staff = personas.alice.is_superuser = True
    personas.alice.save()
    failed = Job.objects.create(
        workspace=personas.workspace, actor=personas.bob, kind="check_connections", status=Job.Status.FAILED
    )
    # A prediction whose kept image was removed from the server since.
    predicted = Job.objects.create(
        workspace=personas.workspace,
        actor=personas.bob,
        kind="predict",
        target="m",
        status=Job.Status.SUCCEEDED,
        params={
            "model": "m",
            "image_path": "/nonexistent/gone.png",
            "content_type": "image/png",
            "width": 64,
            "height": 64,
        },
        result={
            "model": "m",
            "latency_ms": 3,
            "raw": {"modelVersion": "m"},
            "tags": [],
            "width": 64,
            "height": 64,
            "objects": [{"name": "square", "confidence": 0.9, "box": [1, 1, 10, 10]}],
        },
    )
    return {
        "ws": str(personas.workspace.pk),
        "membership": str(personas.bob_membership.pk),
        "user": str(personas.bob.pk),
        "user_type": str(ContentType.objects.get_for_model(User).pk),
        "jobs": [str(failed.pk), str(predicted.pk)],
        "admin_objects": {
            "admin/r/": str(personas.bob.pk),
            "auth/user": str(personas.bob.pk),
            "workspaces/workspace": str(personas.workspace.pk),
            "jobs/job": str(failed.pk),
        },
    }


def _problem(client: Client, method: str, path: str, next_value: str, *, htmx: bool = False) -> str:
    """What is wrong with one request's answer, or ""."""
    url = f"{path}?{urlencode({'next': next_value})}"
    headers = {"HX-Request": "true"} if htmx else {}
    what = f"{method.upper()}{' (htmx)' if htmx else ''} {path} next={next_value[:40]!r}"
    try:
        if method in {"post", "put", "patch"}:
            body = urlencode({"next": next_value})
            response = getattr(client, method)(
                url, body, content_type="application/x-www-form-urlencoded", headers=headers
            )
        else:
            response = getattr(client, method)(url, headers=headers)
    except Exception as exc:
        return f"{what}: {type(exc).__name__}: {exc}"
    # No connection is set up here, so no page has a remote service to blame a 5xx on.
    if response.status_code >= 500:
        return f"{what}: {response.status_code}"
    location = response.get("Location", "")
    if 300 <= response.status_code < 400 and _leaves_the_site(location):
        return f"{what}: redirects to {location[:80]}"
    return ""


def _walk(client: Client, ctx: dict, user) -> list[str]:
    """Every route, both slash forms, every method, every hostile ``next``; the problems found."""
    routes = _routes()
    assert len(routes) >= 60, [r.route for r in routes]  # the product, the admin and the sandbox
    problems = []
    for route in routes:
        for base in _build(route, ctx):
            for path in dict.fromkeys([base, _slash_variant(base)]):
                requests = [("get", n, False) for n in HOSTILE_NEXT] + [("get", HOSTILE_NEXT[0], True)]
                requests += [
                    (m, HOSTILE_NEXT[i % len(HOSTILE_NEXT)], False) for i, m in enumerate(METHODS[1:])
                ]
                for method, next_value, htmx in requests:
                    if user is not None and not client.session.get("_auth_user_id"):
                        login(client, user)  # a logout page was walked
                    problem = _problem(client, method, path, next_value, htmx=htmx)
                    if problem:
                        problems.append(problem)
    return problems


@pytest.mark.parametrize("who", ["anonymous", "member", "staff admin"])
def test_it_never_answers_500_nor_redirects_off_site(client, personas, ctx, who) -> None:
    user = {"anonymous": None, "member": personas.bob, "staff admin": personas.alice}[who]
    if user is not None:
        login(client, user)
    problems = _walk(client, ctx, user)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:60])


def test_it_sends_a_logged_in_user_home_from_a_login_page_that_loops(client, personas) -> None:
    login(client, personas.bob)
    for next_value in ["/accounts/login/", "/accounts/login/?next=/accounts/login/"]:
        response = client.get("/accounts/login/", {"next": next_value})
        assert response.status_code == 302, next_value
        assert response["Location"] == "/", next_value


@pytest.mark.parametrize("next_value", HOSTILE_NEXT)
def test_it_logs_in_and_stays_on_the_site_whatever_next_says(client, personas, next_value) -> None:
    response = client.post("/accounts/login/", {"username": "bob", "password": PASSWORD, "next": next_value})
    assert response.status_code == 302
    location = response["Location"]
    assert not _leaves_the_site(location), location
    assert urlsplit(location).path != "/accounts/login/", location  # no second trip to the login page
