"""The projects page reads as a person reads it: the last change in words, and an empty resource that
says where projects come from and what else can be done."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from sandbox.models import SandboxProject
from tests.conftest import connect_to_sandbox, login
from tests.migrator.cvproject import CLASSIFICATION_GENERAL, sdk
from tests.page_text import ISO_DATETIME, page_text

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sandboxed(tx_personas, live_server):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    return tx_personas


def _projects(client, personas, user) -> str:
    login(client, user)
    return client.get(reverse("migrator:projects", kwargs={"ws_id": personas.workspace.pk})).content.decode()


def test_an_empty_resource_links_to_where_projects_come_from_and_to_registering(client, sandboxed):
    ws = sandboxed.workspace.pk
    html = _projects(client, sandboxed, sandboxed.alice)
    assert "No projects in this resource" in html
    assert 'href="https://www.customvision.ai/"' in html
    assert f'href="{reverse("workspaces:settings", kwargs={"ws_id": ws})}#connection-custom_vision"' in html
    assert f'href="{reverse("customization:dataset_register", kwargs={"ws_id": ws})}"' in html
    # Members cannot change the connection, so they get no link to it.
    settings_link = reverse("workspaces:settings", kwargs={"ws_id": ws}) + "#"
    assert settings_link not in _projects(client, sandboxed, sandboxed.bob)


def test_the_last_change_reads_as_a_date(client, sandboxed, live_server):
    project = sdk(live_server.url).create_project("Pets", domain_id=CLASSIFICATION_GENERAL)
    SandboxProject.objects.filter(pk=project.id).update(
        last_modified=datetime(2026, 12, 2, 6, 40, 12, tzinfo=UTC)
    )
    html = _projects(client, sandboxed, sandboxed.bob)
    text = page_text(html)
    assert "2 Dec 2026, 06:40" in text
    assert not ISO_DATETIME.search(text)
    assert '<time datetime="2026-12-02T06:40:12+00:00"' in html
