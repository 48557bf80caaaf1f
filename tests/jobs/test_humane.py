"""The humane filters: dates, durations, service names and job parameters as people read them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.template import Context, Template
from django.test import override_settings

from jobs.labels import duration_text, name_label, param_rows
from jobs.templatetags.humane import duration, when

MOMENT = datetime(2026, 12, 2, 6, 40, 12, tzinfo=UTC)


def render(source: str, **context: object) -> str:
    return Template("{% load humane %}" + source).render(Context(context))


@pytest.mark.parametrize(
    "value",
    [
        MOMENT,
        "2026-12-02T06:40:12Z",
        "2026-12-02T06:40:12.345Z",
        "2026-12-02T06:40:12.2934133Z",
        "2026-12-02T07:40:12+01:00",
        "2026-12-02T06:40:12.345+00:00",
    ],
)
def test_it_reads_datetimes_and_the_services_iso_strings(value):
    html = when(value)
    assert ">2 Dec 2026, 06:40</time>" in html
    assert 'datetime="2026-12-02T06:40:12+00:00"' in html
    assert 'title="2026-12-02T06:40:12+00:00"' in html


@override_settings(TIME_ZONE="Europe/Berlin")
def test_it_shows_the_servers_time_zone_and_keeps_the_offset_in_the_attribute():
    html = when("2026-12-02T06:40:12Z")
    assert ">2 Dec 2026, 07:40</time>" in html
    assert 'datetime="2026-12-02T07:40:12+01:00"' in html


def test_it_shows_a_day_alone_without_a_time():
    assert when(date(2026, 12, 2)) == '<time datetime="2026-12-02" title="2026-12-02">2 Dec 2026</time>'
    assert ">2 Dec 2026</time>" in when("2026-12-02")


def test_empty_and_unreadable_dates():
    assert when(None) == "—"
    assert when("") == "—"
    assert when("<b>soon</b>") == "&lt;b&gt;soon&lt;/b&gt;"  # not a date: shown as it is, escaped


def test_a_hostile_value_cannot_reach_the_page_through_the_filter():
    assert "<script>" not in render("{{ v|when }}", v="<script>alert(1)</script>")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (0.44, "0.4 s"),
        (3, "3 s"),
        (9.96, "10 s"),
        (45.4, "45 s"),
        (59.6, "1 min"),
        (60, "1 min"),
        (192.3, "3 min 12 s"),
        (3600, "1 h"),
        (7500, "2 h 5 min"),
        (86400 + 4 * 3600, "1 d 4 h"),
        (-2, "0 s"),
    ],
)
def test_durations_read_as_people_say_them(seconds, text):
    assert duration_text(seconds) == text


def test_the_duration_filter_takes_timedeltas_seconds_minutes_and_hours():
    assert duration(timedelta(minutes=3, seconds=12)) == "3 min 12 s"
    assert duration(192.3) == "3 min 12 s"
    assert duration(0.5, "min") == "30 s"
    assert duration(0.05, "h") == "3 min"
    assert duration(None) == "—"
    assert duration("soon") == "soon"
    assert render("{{ v|hours }}", v=0.05) == "0.05 h (3 min)"
    assert render("{{ v|hours }}", v=2) == "2 h"


def test_service_names_become_labels():
    assert name_label("sas") == "SAS token"
    assert name_label("Generic-Detector") == "General (object detection)"
    assert name_label("Generic-Classifier") == "General (classification)"
    assert name_label("imageObjectDetection") == "Object detection"
    assert name_label("objectDetection") == "Object detection"
    assert name_label("classification") == "Classification"
    assert name_label("notStarted") == "Not started"
    assert name_label("anything else") == "anything else"
    assert render("{{ v|label }}", v="managedIdentity") == "Managed identity"


def test_job_parameters_have_labels_and_never_show_a_server_path():
    rows = dict(
        param_rows(
            {
                "model": "m1",
                "image_path": "/srv/visionport/var/predictions/x.png",
                "content_type": "image/png",
                "width": 120,
                "height": 90,
            }
        )
    )
    assert rows == {"Model": "m1", "Image type": "PNG", "Image size": "120 × 90 px"}
    rows = dict(
        param_rows(
            {
                "name": "m1",
                "kind": "Generic-Detector",
                "dataset": "shapes",
                "eval_dataset": "",
                "budget_hours": 0.05,
            }
        )
    )
    assert rows == {
        "Name": "m1",
        "Kind": "General (object detection)",
        "Dataset": "shapes",
        "Evaluation dataset": "20% of the training set, held out",
        "Budget": "0.05 h (3 min)",
    }
    rows = dict(
        param_rows(
            {
                "auth": "sas",
                "source": "storage",
                "url": "",
                "check": "sample",
                "budget_hours": 2,
                "flavours": ["vision", "standard"],
                "some_new_key": 3,
                "model_dir": "/srv/m",
            }
        )
    )
    assert rows == {
        "Access to the images": "SAS token",
        "Source": "This workspace's storage",
        "Image check": "A sample of 50 images read",
        "Budget": "2 h",
        "Files written": "Azure AI Vision COCO, standard COCO",
        "Some new key": "3",
    }


def test_an_error_analysis_says_which_dataset_and_how_many_calls():
    rows = dict(param_rows({"model": "m1", "dataset": "shapes", "dataset_role": "training", "images": 6}))
    assert rows == {
        "Model": "m1",
        "Dataset": "shapes",
        "Which dataset": "The model's training dataset (not held out)",
        "Images (prediction calls)": "6",
    }


def test_an_automl_exports_parameters_read_as_words():
    rows = dict(
        param_rows(
            {
                "flavours": ["vision", "automl"],
                "validation_share": 20,
                "datastore": "azureml://subscriptions/s/resourcegroups/rg/workspaces/w/datastores/d",
                "task": "image_object_detection",
            }
        )
    )
    assert rows == {
        "Files written": "Azure AI Vision COCO, Azure ML AutoML",
        "Validation share (%)": "20",
        "Datastore URI prefix": "azureml://subscriptions/s/resourcegroups/rg/workspaces/w/datastores/d",
        "Task": "Object detection",
    }
