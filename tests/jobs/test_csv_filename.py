"""The job-history CSV's file name comes from a safe slug of the workspace name (issue 9)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "filename"),
    [
        ("csv\r\ninjected", "jobs-csv-injected.csv"),
        ('Alice\'s "team"; filename=evil.exe', "jobs-alices-team-filenameevilexe.csv"),
        ("\r\n", "jobs-workspace.csv"),
        ("日本", "jobs-workspace.csv"),
    ],
)
def test_the_csv_download_name_is_a_safe_slug(client, personas, name, filename):
    personas.workspace.name = name
    personas.workspace.save()
    login(client, personas.alice)
    response = client.get(reverse("jobs:history_csv", kwargs={"ws_id": personas.workspace.pk}))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    b"".join(response.streaming_content)
