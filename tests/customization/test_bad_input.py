"""Bad input gets a sentence on the form, before any job and before anything is registered (issue 9):
a COCO URL the endpoint rule refuses, a hidden export link that names no export of this workspace,
a budget outside what the service takes, and a COCO document of any shape."""

from __future__ import annotations

import math
import uuid

import pytest
from django.urls import reverse

from customization.forms import RegisterDatasetForm, TrainForm
from customization.models import DatasetRecord
from customization.validation import validate_coco
from jobs.models import Job
from jobs.services import job_start
from tests.conftest import login

DETECTION = "imageObjectDetection"


def _post(client, personas, **fields) -> str:
    data = {
        "name": "ds",
        "kind": DETECTION,
        "purpose": "training",
        "source": "storage",
        "path": "shapes/train.json",
        "url": "",
        "auth": "sas",
        "budget_hours": "1",
        "check": "sample",
        "export_job": "",
        **fields,
    }
    login(client, personas.bob)
    response = client.post(
        reverse("customization:dataset_register", kwargs={"ws_id": personas.workspace.pk}), data
    )
    assert response.status_code == 200, "the form was accepted"
    assert not Job.objects.exists()
    assert not DatasetRecord.objects.exists()
    return response.content.decode()


def _export_job(workspace, actor) -> Job:
    return job_start(workspace=workspace, actor=actor, kind="export_project", target="t", params={})


# --- COCO URL: the endpoint rule -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "sentence"),
    [
        ("file:///etc/passwd", "Enter the full http(s) URL of the file"),
        ("gopher://x/", "Enter the full http(s) URL of the file"),
        ("ftp://x/", "Enter the full http(s) URL of the file"),
        ("http://169.254.169.254/latest/x.json", "169.254.169.254 is a cloud metadata service"),
        ("https://10.0.0.5/a.json", "10.0.0.5 is a private network address"),
        ("https://[fe80::1/a.json", "Enter the full http(s) URL of the file"),
    ],
)
def test_it_refuses_a_coco_url_the_endpoint_rule_refuses(client, personas, url, sentence):
    page = _post(client, personas, source="url", url=url)
    assert sentence in page


@pytest.mark.django_db
def test_it_accepts_a_coco_url_with_a_sas_query(personas):
    form = RegisterDatasetForm(
        {
            "name": "ds",
            "kind": DETECTION,
            "purpose": "training",
            "source": "url",
            "url": "https://52.239.1.1/c/train.json?sv=2024&sig=abc%3D",
            "auth": "managedIdentity",
            "budget_hours": "1",
            "check": "none",
        },
        workspace=personas.workspace,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["url"].endswith("?sv=2024&sig=abc%3D")


# --- The hidden export link ------------------------------------------------------------------------

GONE = "The export this file came from no longer exists; register it without the link."


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["not-a-uuid", str(uuid.uuid4()), "\u00e9t\u00e9"])
def test_it_refuses_an_export_link_that_names_no_job(client, personas, value):
    page = _post(client, personas, export_job=value)
    assert GONE in page
    assert 'name="export_job" value=""' in page or 'name="export_job" id' in page, "the link is dropped"


@pytest.mark.django_db
def test_it_refuses_an_export_link_to_a_job_that_is_not_an_export(client, personas):
    job = job_start(
        workspace=personas.workspace, actor=personas.bob, kind="train_model", target="m", params={}
    )
    form = RegisterDatasetForm(_form_data(export_job=str(job.pk)), workspace=personas.workspace)
    assert not form.is_valid()
    assert GONE in str(form.errors)


@pytest.mark.django_db
def test_it_refuses_an_export_link_to_another_workspaces_export(personas):
    export = _export_job(personas.other_workspace, personas.charlie)
    form = RegisterDatasetForm(_form_data(export_job=str(export.pk)), workspace=personas.workspace)
    assert not form.is_valid()
    assert GONE in str(form.errors)


@pytest.mark.django_db
def test_it_keeps_an_export_link_to_this_workspaces_export(personas):
    export = _export_job(personas.workspace, personas.alice)
    form = RegisterDatasetForm(_form_data(export_job=str(export.pk)), workspace=personas.workspace)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["export_job"] == str(export.pk)


def _form_data(**fields) -> dict:
    return {
        "name": "ds",
        "kind": DETECTION,
        "purpose": "training",
        "source": "storage",
        "path": "shapes/train.json",
        "auth": "sas",
        "budget_hours": "1",
        "check": "sample",
        **fields,
    }


# --- Budgets -----------------------------------------------------------------------------------------

BAD_BUDGETS = ["1e12", "nan", "inf", "-inf", "-1", "0"]


@pytest.mark.django_db
@pytest.mark.parametrize("budget", BAD_BUDGETS)
def test_the_registration_form_refuses_a_budget_outside_the_range(client, personas, budget):
    page = _post(client, personas, budget_hours=budget)
    assert "Enter a budget from 0.001 h to 288 h (12 days)" in page


@pytest.mark.parametrize("azure", [False, True])
@pytest.mark.parametrize("budget", BAD_BUDGETS)
def test_the_train_form_refuses_a_budget_outside_the_range(budget, azure):
    form = TrainForm(
        {"name": "m", "kind": "Generic-Detector", "dataset": "det-ds", "budget_hours": budget},
        datasets={"det-ds": DETECTION},
        azure=azure,
    )
    assert not form.is_valid()
    (sentence,) = form.errors["budget_hours"]
    assert "288 h (12 days)" in sentence


# --- validate_coco on any value ------------------------------------------------------------------------


def _nested(depth: int, leaf: object = 1) -> object:
    value = leaf
    for n in range(depth):
        value = [value] if n % 2 else {"a": value}
    return value


def _valid_coco() -> dict:
    return {
        "images": [
            {"id": i, "width": 96, "height": 96, "file_name": f"{i}.png", "coco_url": f"https://x/{i}.png"}
            for i in (1, 2)
        ],
        "annotations": [
            {"id": i, "image_id": (i + 1) // 2, "category_id": (i + 1) // 2, "bbox": [0.1, 0.1, 0.5, 0.5]}
            for i in (1, 2, 3, 4)
        ],
        "categories": [{"id": 1, "name": "circle"}, {"id": 2, "name": "square"}],
    }


DEEP = _nested(100_000)
HUGE = 10**5000  # str() of it raises ValueError in Python 3.11
VALUES = [DEEP, HUGE, -HUGE, math.nan, math.inf, None, [], {}, "", "x" * 100_000]
VALUE_IDS = ["deep", "huge", "-huge", "nan", "inf", "none", "list", "dict", "empty", "long"]


def _with(path: tuple, value: object) -> dict:
    coco = _valid_coco()
    target = coco
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return coco


def test_the_reference_document_is_valid():
    assert validate_coco(_with(("info",), "x"), kind=DETECTION).ok


@pytest.mark.parametrize(
    "path",
    [
        ("info",),
        ("images",),
        ("images", 0),
        ("images", 0, "id"),
        ("images", 0, "file_name"),
        ("images", 0, "width"),
        ("annotations", 0, "id"),
        ("annotations", 0, "image_id"),
        ("annotations", 0, "bbox"),
        ("annotations", 0, "bbox", 0),
        ("categories", 0, "id"),
        ("categories", 0, "name"),
    ],
)
@pytest.mark.parametrize("value", VALUES, ids=VALUE_IDS)
def test_validate_coco_reports_any_value_in_any_field_and_never_raises(path, value):
    report = validate_coco(_with(path, value), kind=DETECTION)
    report.as_dict()
    if value is DEEP or (path != ("info",) and (value is HUGE or isinstance(value, float))):
        assert not report.ok, (path, report.as_dict())
    for group in report.groups.values():
        assert all(len(w) < 1000 for w in group.where), group


@pytest.mark.parametrize(
    "coco",
    [DEEP, [DEEP], None, True, 3, "coco", HUGE],
    ids=["deep", "list", "none", "bool", "int", "str", "huge"],
)
def test_validate_coco_refuses_a_document_that_is_not_an_object(coco):
    assert not validate_coco(coco, kind=DETECTION).ok
