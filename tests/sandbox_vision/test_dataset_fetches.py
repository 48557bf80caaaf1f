"""Where the Vision sandbox sends a dataset's SAS: only to the storage account of its annotation
file, never to another host that a COCO file names (issue 9)."""

from __future__ import annotations

import contextlib
import json

import pytest
import requests
from cognitive_service_vision_model_customization_python_samples import AnnotationKind, Dataset

from tests.sandbox_vision.conftest import sas_auth

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_sas_goes_only_to_the_annotation_files_account(vision, folder, recorder):
    coco = folder.coco("cats")
    uri = folder.put_coco("cats/train.json", coco)
    recorder.routes["/more.json"] = (200, {"Content-Type": "application/json"}, json.dumps(coco).encode())
    dataset = Dataset(
        "two-accounts",
        AnnotationKind.MULTICLASS_CLASSIFICATION,
        [uri, recorder.url("/more.json", host="127.0.0.1")],
        sas_auth(folder),
    )
    # Two files naming the same images may be refused; the point here is what was sent.
    with contextlib.suppress(requests.HTTPError):
        vision.datasets.register_dataset(dataset)
    assert recorder.requests, "the second annotation file was read"
    assert not any("sig=" in path for path in recorder.requests)
