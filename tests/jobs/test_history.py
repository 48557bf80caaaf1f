"""Job history: filters, sorting, pagination, counts, CSV export and the live fragments."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from jobs.models import Job
from tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def jobs(personas):
    now = timezone.now()
    made = []
    for i, (actor, status) in enumerate(
        [
            (personas.alice, Job.Status.SUCCEEDED),
            (personas.alice, Job.Status.FAILED),
            (personas.bob, Job.Status.SUCCEEDED),
            (personas.bob, Job.Status.RUNNING),
            (personas.bob, Job.Status.CANCELLED),
        ]
    ):
        made.append(
            Job.objects.create(
                workspace=personas.workspace,
                actor=actor,
                kind="check_connections",
                status=status,
                target=f"target-{i}",
                created_at=now - timedelta(days=i),
                started_at=now - timedelta(days=i),
                finished_at=now - timedelta(days=i) + timedelta(seconds=10 * i + 1),
                error_code="boom" if status == Job.Status.FAILED else "",
            )
        )
    return made


def _history(client, personas, **params):
    return client.get(reverse("jobs:history", kwargs={"ws_id": personas.workspace.pk}), params)


def _rows(response) -> list[str]:
    """Targets in the order the page shows them."""
    page = response.content.decode()
    shown = [j.target for j in response.context["page"].jobs]
    assert all(t in page for t in shown)
    return shown


def test_it_lists_and_counts_per_status(client, personas, jobs):
    login(client, personas.alice)
    response = _history(client, personas)
    assert _rows(response) == [f"target-{i}" for i in range(5)]
    counts = {s: n for s, _, n in response.context["counts"]}
    assert counts == {"queued": 0, "running": 1, "succeeded": 2, "failed": 1, "cancelled": 1}


def test_it_filters_by_status_person_and_dates(client, personas, jobs):
    login(client, personas.alice)
    assert _rows(_history(client, personas, status="succeeded")) == ["target-0", "target-2"]
    response = _history(client, personas, person="bob")
    assert _rows(response) == ["target-2", "target-3", "target-4"]
    assert {s: n for s, _, n in response.context["counts"]}["succeeded"] == 1  # counts follow the filters
    today = timezone.localdate()
    assert _rows(_history(client, personas, date_from=today - timedelta(days=1), date_to=today)) == [
        "target-0",
        "target-1",
    ]
    assert _rows(_history(client, personas, kind="check_connections", status="failed")) == ["target-1"]


def test_it_sorts_by_duration_and_person(client, personas, jobs):
    login(client, personas.alice)
    assert _rows(_history(client, personas, sort="-duration"))[0] == "target-4"
    assert _rows(_history(client, personas, sort="duration"))[0] == "target-0"
    # Ties go by creation time in the sort's own direction (one index serves each order).
    assert _rows(_history(client, personas, sort="person"))[:2] == ["target-1", "target-0"]  # alice first
    assert _rows(_history(client, personas, sort="-person"))[:3] == ["target-2", "target-3", "target-4"]


def test_it_paginates(client, personas):
    login(client, personas.alice)
    Job.objects.bulk_create(
        [
            Job(
                workspace=personas.workspace,
                actor=personas.alice,
                kind="check_connections",
                target=f"bulk-{i}",
            )
            for i in range(30)
        ]
    )
    first = _history(client, personas)
    assert len(first.context["page"].jobs) == 25
    assert "The first 25 of 30" in first.content.decode()
    second = _history(client, personas, after=first.context["page"].next_cursor)
    assert [j.target for j in second.context["page"].jobs] == [f"bulk-{i}" for i in range(4, -1, -1)]
    assert "5 more of 30" in second.content.decode()
    assert second.context["page"].next_cursor == ""
    assert _history(client, personas, after="not-a-cursor").context["page"].first  # the first page again


def test_bad_filters_are_explained_not_fatal(client, personas, jobs):
    login(client, personas.alice)
    response = _history(client, personas, date_from="yesterday")
    assert response.status_code == 200
    assert "Some filters were not understood" in response.content.decode()


def test_it_exports_the_filtered_list_as_csv(client, personas, jobs):
    login(client, personas.alice)
    response = client.get(
        reverse("jobs:history_csv", kwargs={"ws_id": personas.workspace.pk}), {"person": "bob"}
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["target"] for r in rows] == ["target-2", "target-3", "target-4"]
    assert {r["person"] for r in rows} == {"bob"}
    assert rows[0]["duration_seconds"] == "21.0"


def test_csv_cells_never_start_a_spreadsheet_formula(client, personas, jobs):
    Job.objects.filter(pk=jobs[0].pk).update(target='=HYPERLINK("http://evil","x")', error_message="-1+2")
    login(client, personas.alice)
    response = client.get(reverse("jobs:history_csv", kwargs={"ws_id": personas.workspace.pk}))
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))}
    row = rows[str(jobs[0].pk)]
    assert row["target"] == '\'=HYPERLINK("http://evil","x")'
    assert row["error_message"] == "'-1+2"
    assert rows[str(jobs[1].pk)]["target"] == "target-1"  # ordinary text untouched


def test_the_row_fragment_polls_only_while_active(client, personas, jobs):
    login(client, personas.alice)
    running = jobs[3]
    url = reverse("jobs:row", kwargs={"ws_id": personas.workspace.pk, "job_id": running.pk})
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment
    assert f'id="job-row-{running.pk}"' in fragment
    assert 'hx-trigger="every 2s' in fragment
    Job.objects.filter(pk=running.pk).update(status=Job.Status.SUCCEEDED)
    assert "hx-trigger" not in client.get(url, headers={"HX-Request": "true"}).content.decode()


def test_the_job_page_and_its_live_fragment(client, personas, jobs):
    login(client, personas.alice)
    running = jobs[3]
    url = reverse("jobs:detail", kwargs={"ws_id": personas.workspace.pk, "job_id": running.pk})
    page = client.get(url).content.decode()
    assert "<html" in page
    assert 'id="job-live"' in page
    assert ">Cancel</button>" in page
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment
    assert fragment.strip().startswith('<div id="job-live"')
    assert 'hx-trigger="every 2s' in fragment


def test_a_history_restore_gets_the_whole_page_and_caches_keep_the_two_apart(client, personas, jobs):
    login(client, personas.alice)
    for name in ("jobs:history", "jobs:detail"):
        kwargs = {"ws_id": personas.workspace.pk} | ({"job_id": jobs[3].pk} if name == "jobs:detail" else {})
        url = reverse(name, kwargs=kwargs)
        fragment = client.get(url, headers={"HX-Request": "true"})
        restored = client.get(url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
        assert "<html" not in fragment.content.decode()
        assert "<html" in restored.content.decode(), name  # htmx puts it in place of the body
        assert "HX-Request" in fragment["Vary"] and "HX-Request" in restored["Vary"]


def test_a_young_job_page_polls_faster(client, personas):
    job = Job.objects.create(
        workspace=personas.workspace, actor=personas.alice, kind="predict", status=Job.Status.RUNNING
    )
    login(client, personas.alice)
    url = reverse("jobs:detail", kwargs={"ws_id": personas.workspace.pk, "job_id": job.pk})
    assert 'hx-trigger="every 100ms' in client.get(url, headers={"HX-Request": "true"}).content.decode()
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(seconds=5))
    assert 'hx-trigger="every 500ms' in client.get(url, headers={"HX-Request": "true"}).content.decode()
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(seconds=16))
    assert 'hx-trigger="every 2s' in client.get(url, headers={"HX-Request": "true"}).content.decode()


def test_error_detail_is_for_admins_only(client, personas):
    job = Job.objects.create(
        workspace=personas.workspace,
        actor=personas.bob,
        kind="check_connections",
        status=Job.Status.FAILED,
        error_code="unexpected_error",
        error_message="The job stopped.",
        error_detail="Traceback: secret internals",
    )
    url = reverse("jobs:detail", kwargs={"ws_id": personas.workspace.pk, "job_id": job.pk})
    login(client, personas.bob)
    page = client.get(url).content.decode()
    assert "The job stopped." in page
    assert "secret internals" not in page
    assert ">Retry</button>" in page
    login(client, personas.alice)
    assert "secret internals" in client.get(url).content.decode()


def test_cancel_and_retry_buttons_work_without_javascript(client, personas):
    login(client, personas.bob)
    queued = Job.objects.create(workspace=personas.workspace, actor=personas.bob, kind="check_connections")
    ws = personas.workspace.pk
    client.post(reverse("jobs:cancel", kwargs={"ws_id": ws, "job_id": queued.pk}))
    queued.refresh_from_db()
    assert queued.status == Job.Status.CANCELLED
    response = client.post(reverse("jobs:retry", kwargs={"ws_id": ws, "job_id": queued.pk}))
    retry = Job.objects.get(retry_of=queued)
    assert response["Location"] == reverse("jobs:detail", kwargs={"ws_id": ws, "job_id": retry.pk})
    page = client.get(response["Location"]).content.decode()
    assert "Retry of" in page


def test_the_history_page_costs_the_same_queries_for_5_or_25_rows(client, personas, jobs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, personas.alice)
    _history(client, personas)  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as few:
        _history(client, personas)
    Job.objects.bulk_create(
        [Job(workspace=personas.workspace, actor=personas.bob, kind="check_connections") for _ in range(20)]
    )
    with CaptureQueriesContext(connection) as many:
        _history(client, personas)
    assert len(many) == len(few) <= 10
