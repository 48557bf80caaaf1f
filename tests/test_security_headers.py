"""The Content-Security-Policy is on every answer, and a signed-in person's pages are not stored
(config/security_headers.py); no template carries what the policy would refuse."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from config.security_headers import CONTENT_SECURITY_POLICY
from jobs.models import Job
from tests.conftest import ROOT, login

pytestmark = pytest.mark.django_db

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


def test_the_policy_is_the_one_documented() -> None:
    assert CONTENT_SECURITY_POLICY == POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY


def test_the_login_page_has_the_policy(client: Client) -> None:
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == POLICY


def test_workspace_pages_have_the_policy_and_are_not_stored(client: Client, personas) -> None:
    job = Job.objects.create(
        workspace=personas.workspace, actor=personas.bob, kind="check_connections", status=Job.Status.FAILED
    )
    login(client, personas.bob)
    ws = personas.workspace.pk
    for path in ["/", f"/w/{ws}/", f"/w/{ws}/jobs/", f"/w/{ws}/jobs/{job.pk}/"]:
        response = client.get(path, follow=True)
        assert response.status_code == 200, path
        assert response["Content-Type"].startswith("text/html"), path
        assert response["Content-Security-Policy"] == POLICY, path
        assert response["Cache-Control"] == "private, no-store", path
    # An htmx fragment (the polling job row) too.
    response = client.get(f"/w/{ws}/jobs/{job.pk}/row/", headers={"HX-Request": "true"})
    assert response["Cache-Control"] == "private, no-store"


def test_a_view_that_chose_its_caching_keeps_it(client: Client, personas) -> None:
    # Django's login view is never_cache: its own value stays, signed in or not (it has no-store).
    never_cache = "max-age=0, no-cache, no-store, must-revalidate, private"
    assert client.get("/accounts/login/")["Cache-Control"] == never_cache
    login(client, personas.bob)
    assert client.get("/accounts/login/")["Cache-Control"] == never_cache


def test_static_files_have_the_policy_but_are_cached(client: Client, personas) -> None:
    login(client, personas.bob)
    for path in ["/static/css/app.css", "/static/js/app.js"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["Content-Security-Policy"] == POLICY, path
        assert "no-store" not in response.get("Cache-Control", ""), path


TEMPLATES = sorted(
    [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")],
)
REFUSED = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on...= handler"),
    (re.compile(r"\shx-on", re.I), "an hx-on handler (htmx evals it)"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
    (re.compile(r"hx-trigger=\"[^\"]*\[", re.I), "an hx-trigger filter (htmx evals it)"),
    (re.compile(r"hx-vals=['\"]\s*js:", re.I), "hx-vals js: (htmx evals it)"),
]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(Path(p).relative_to(ROOT)))
def test_no_template_has_what_the_policy_refuses(template: Path) -> None:
    text = template.read_text()
    found = [f"{what}: {m.group(0)[:60]}" for pattern, what in REFUSED for m in pattern.finditer(text)]
    assert not found, found
