"""Each demo sandbox project exports to AutoML JSONL + MLTable beside the COCO files, from one copy of
the images; the validator passes what we wrote; JSONL → COCO gives the same boxes; the pages (issue 13)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from customization.coco_json import coco_loads
from customization.validation import validate_coco
from jobs.models import Job
from jobs.runner import JobContext
from migrator.automl import automl_to_coco
from migrator.automl_validation import validate_automl
from migrator.models import AutomlSettings
from migrator.services.automl import present_in
from migrator.services.export import Exporter
from tests.conftest import connect_to_sandbox, login, wait_for_job
from workspaces.storage import store_for_connection

pytestmark = pytest.mark.django_db(transaction=True)

SUB = "0b0c2f4e-1111-4222-8333-944455556666"
PREFIX = f"azureml://subscriptions/{SUB}/resourcegroups/rg-vision/workspaces/ml-ws/datastores/exports_ds"
MLTABLE_VENV = Path(os.environ.get("MLTABLE_VENV", "/tmp/mltenv"))


@pytest.fixture
def demo(tx_personas, live_server):
    from sandbox.services.seed import seed_demo

    connect_to_sandbox(tx_personas.workspace, live_server.url)
    reports = {r.name: r for r in seed_demo()}
    return tx_personas, reports


def _export(personas, project_id: str, folder: str, **params) -> dict:
    job = Job.objects.create(
        workspace=personas.workspace,
        actor=personas.alice,
        kind="export_project",
        status=Job.Status.RUNNING,
        params={
            "project_id": project_id,
            "folder": folder,
            "flavours": ["vision", "standard", "automl"],
            "multilabel": "skip",
            "negative": "skip",
            "existing": "version",
            "validation_share": 20,
            "datastore": PREFIX,
            **params,
        },
    )
    return Exporter(job, JobContext(job)).run()


def _store(personas):
    return store_for_connection(personas.workspace.connections.get(kind="storage"))


def _lines(store, name: str) -> list[dict]:
    return [json.loads(line) for line in store.get(name).decode().splitlines()]


def _path(url: str) -> str:
    from urllib.parse import unquote

    return unquote(url.split("/paths/", 1)[1])


def test_each_demo_project_exports_to_automl(demo, tmp_path):
    personas, seeded = demo
    store = _store(personas)
    expected = {
        "Shapes (multiclass)": ("image_classification", 120, {"untagged": 10, "negative": 8}, str),
        "Shapes (multilabel)": ("image_classification_multilabel", 100, {}, list),
        "Shapes (detector)": ("image_object_detection", 71, {"untagged": 5}, list),
    }
    for name, (task, labelled, left_out, shape) in expected.items():
        project = seeded[name]
        folder = f"demo-{task}/"
        report = _export(personas, project.project_id, folder)
        automl = report["automl"]
        assert automl["task"] == task
        assert automl["ok"], json.dumps(automl["validation"], indent=1)
        assert automl["images"]["train"] + automl["images"]["validation"] == labelled
        assert 0.15 * labelled <= automl["images"]["validation"] <= 0.25 * labelled
        assert automl["left_out"] == left_out
        assert {k: len(v) for k, v in automl["left_out_images"].items()} == left_out  # listed, not dropped
        train = _lines(store, automl["files"]["train_jsonl"])
        held = _lines(store, automl["files"]["validation_jsonl"])
        assert len(train) == automl["images"]["train"] and len(held) == automl["images"]["validation"]
        assert all(isinstance(line["label"], shape) for line in train + held)
        assert all(line["image_url"].startswith(PREFIX + "/paths/" + folder + "images/") for line in train)
        # every label is in both parts (stratified), and each part's MLTable names its own file
        assert set(automl["per_label"]["validation"]) == set(automl["per_label"]["train"])
        assert store.get(automl["files"]["train_mltable"]).decode().splitlines()[1] == (
            "  - file: ./train_annotations.jsonl"
        )
        # the images were copied once, for every target
        assert report["images"]["copied"] == project.images
        assert len(list(store.list(prefix=f"{folder}images/"))) == project.images
        assert {"vision", "standard", "automl_train_jsonl", "automl_validation_mltable"} <= set(
            report["files"]
        )
        # a second run holds out the same images
        again = _export(personas, project.project_id, folder)
        assert again["images"]["copied"] == 0
        held_again = _lines(store, again["automl"]["files"]["validation_jsonl"])
        assert [h["image_url"] for h in held_again] == [h["image_url"] for h in held]
        assert again["automl"]["files"]["train_jsonl"] == f"{folder}automl.v2/train/train_annotations.jsonl"


def test_jsonl_round_trips_to_the_same_boxes_as_our_coco_file(demo):
    personas, seeded = demo
    store = _store(personas)
    report = _export(personas, seeded["Shapes (detector)"].project_id, "rt/", validation_share=0)
    assert "validation_jsonl" not in report["automl"]["files"]
    vision = coco_loads(store.get(report["files"]["vision"]))
    jsonl = store.get(report["automl"]["files"]["train_jsonl"]).decode().splitlines()
    back = automl_to_coco(jsonl, blob_name=_path, url_for=store.url)
    checked = validate_coco(coco_loads(json.dumps(back).encode()), kind="imageObjectDetection")
    assert checked.ok, checked.as_dict()["errors"]

    def boxes(coco: dict) -> dict[str, list]:
        names = {c["id"]: c["name"] for c in coco["categories"]}
        files = {i["id"]: i["file_name"] for i in coco["images"]}
        out: dict[str, list] = {}
        for a in coco["annotations"]:
            out.setdefault(files[a["image_id"]], []).append((names[a["category_id"]], a["bbox"]))
        return {k: sorted(v) for k, v in out.items()}

    ours, returned = boxes(vision), boxes(back)
    assert ours.keys() == returned.keys() and len(ours) == 71
    for name, expected in ours.items():
        for (tag, box), (tag2, box2) in zip(expected, returned[name], strict=True):
            assert tag == tag2
            assert box2 == pytest.approx(box, abs=1e-6)


def test_without_a_datastore_the_lines_hold_blob_urls_and_say_so(demo):
    personas, seeded = demo
    report = _export(personas, seeded["Shapes (multilabel)"].project_id, "https/", datastore="")
    automl = report["automl"]
    assert automl["image_urls"] == "blob"
    assert "AutoML reads images only through an Azure ML datastore" in automl["warnings"][0]
    codes = {g["code"] for g in automl["validation"]["train"]["errors"]}
    assert codes == {"image_url_blob"}  # the images are there: only the URL kind is refused
    assert automl["snippet"]["placeholders"]
    assert "<subscription id>" in automl["snippet"]["cli"]


def test_it_exports_to_azurite_and_checks_the_blobs_there(demo, azurite):
    import uuid

    from azure.storage.blob import BlobServiceClient

    from tests.conftest import AZURITE_KEY
    from workspaces.models import Connection
    from workspaces.services import connection_update

    personas, seeded = demo
    container = f"aml{uuid.uuid4().hex[:10]}"
    BlobServiceClient(azurite, credential=AZURITE_KEY).create_container(container)
    connection_update(
        workspace=personas.workspace,
        kind="storage",
        actor=None,
        storage_auth=Connection.StorageAuth.ACCOUNT_KEY,
        endpoint=azurite,
        secret=AZURITE_KEY,
        container=container,
    )
    report = _export(personas, seeded["Shapes (detector)"].project_id, "Shapes (detector)/", datastore="")
    automl = report["automl"]
    store = _store(personas)
    first = _lines(store, automl["files"]["train_jsonl"])[0]
    assert first["image_url"].startswith(f"{azurite}/{container}/Shapes%20%28detector%29/images/")
    # blob URLs are refused for AutoML, but every image they name was found in the container
    assert {g["code"] for g in automl["validation"]["train"]["errors"]} == {"image_url_blob"}
    assert store.properties(automl["files"]["train_mltable"]).size > 0
    with_datastore = _export(personas, seeded["Shapes (detector)"].project_id, "Shapes (detector)/")
    assert with_datastore["automl"]["ok"], with_datastore["automl"]["validation"]
    assert with_datastore["automl"]["warnings"][0].startswith("71 image paths hold characters a URI encodes")


def test_a_deleted_image_is_caught_by_the_validator(demo):
    personas, seeded = demo
    store = _store(personas)
    report = _export(personas, seeded["Shapes (multiclass)"].project_id, "gone/")
    name = report["automl"]["files"]["train_jsonl"]
    first = _lines(store, name)[0]
    store.delete(_path(first["image_url"]))
    again = validate_automl(store.get(name), exists=present_in(store))
    (missing,) = [g for g in again.as_dict()["errors"] if g["code"] == "image_missing"]
    assert missing["count"] == 1 and missing["where"][0].startswith("line 1: ")


@pytest.mark.skipif(
    not (MLTABLE_VENV / "bin" / "python").exists(),
    reason="the mltable package is not installed here (a throwaway venv at MLTABLE_VENV, default /tmp/mltenv)",
)
def test_the_mltable_package_loads_our_mltable(demo, tmp_path):
    """mltable reads the local folder: our MLTable and JSONL, with image_url made local paths (the
    package resolves azureml:// URIs only with an Azure login)."""
    personas, seeded = demo
    store = _store(personas)
    report = _export(personas, seeded["Shapes (detector)"].project_id, "mlt/")
    automl = report["automl"]
    folder = tmp_path / "train"
    folder.mkdir()
    (folder / "MLTable").write_bytes(store.get(automl["files"]["train_mltable"]))
    lines = _lines(store, automl["files"]["train_jsonl"])
    images = tmp_path / "images"
    images.mkdir()
    for line in lines:
        local = images / _path(line["image_url"]).rsplit("/", 1)[1]
        local.write_bytes(store.get(_path(line["image_url"])))
        line["image_url"] = str(local)
    (folder / "train_annotations.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    script = (
        "import sys, mltable\n"
        "t = mltable.load(sys.argv[1])\n"
        "df = t.to_pandas_dataframe()\n"
        "print(len(df), sorted(df.columns))\n"
    )
    done = subprocess.run(
        [str(MLTABLE_VENV / "bin" / "python"), "-c", script, str(folder)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    if done.returncode and ("PandasImportError" in done.stderr or "No module named" in done.stderr):
        pytest.skip(f"the mltable venv lacks a part (pip install mltable pandas): {done.stderr[-300:]}")
    assert done.returncode == 0, done.stderr[-2000:]
    count, columns = done.stdout.strip().split(" ", 1)
    assert int(count) == automl["images"]["train"] == len(lines)
    assert "image_url" in columns and "label" in columns


# --- the pages -----------------------------------------------------------------------------------


def test_the_export_form_remembers_the_datastore_per_workspace(demo, client, celery_worker):
    personas, seeded = demo
    login(client, personas.alice)
    project_id = seeded["Shapes (multiclass)"].project_id
    url = reverse("migrator:project", kwargs={"ws_id": personas.workspace.pk, "project_id": project_id})
    bad = client.post(
        url,
        {
            "folder": "x/",
            "flavours": ["automl"],
            "datastore": "https://a/b",
            "multilabel": "skip",
            "negative": "skip",
            "existing": "version",
            "validation_share": "20",
        },
    )
    assert bad.status_code == 200
    assert "This is not an Azure ML datastore URI prefix." in bad.content.decode()
    assert not Job.objects.filter(kind="export_project").exists()
    response = client.post(
        url,
        {
            "folder": "page/",
            "flavours": ["vision", "automl"],
            "datastore": PREFIX + "/paths/",
            "validation_share": "25",
            "multilabel": "skip",
            "negative": "skip",
            "existing": "version",
        },
    )
    assert response.status_code == 302
    assert AutomlSettings.objects.get(workspace=personas.workspace).datastore_uri == PREFIX
    assert PREFIX in client.get(url).content.decode()  # the form offers it next time
    job = wait_for_job(Job.objects.get(kind="export_project"), timeout=120)
    assert job.status == Job.Status.SUCCEEDED, (job.error_message, job.error_detail)
    assert job.params["validation_share"] == 25
    page = client.get(reverse("jobs:detail", kwargs={"ws_id": personas.workspace.pk, "job_id": job.pk}))
    html = page.content.decode()
    assert "az ml data create" in html and "--type mltable" in html
    assert "automl.image_classification(" in html
    assert "shapes-multiclass-train" in html
    assert 'id="automl-report-train"' in html
    # an outsider sees none of it
    login(client, personas.charlie)
    assert client.get(url).status_code == 404
    outsider = reverse("migrator:automl_validate", kwargs={"ws_id": personas.workspace.pk})
    assert client.get(outsider).status_code == 404
