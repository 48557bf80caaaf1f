"""COCO writing: label policy, clamping, both flavours, and pycocotools loading the standard one."""

from __future__ import annotations

import io
import json

from pycocotools.coco import COCO

from azureclient.retry import RetryPolicy, with_retries
from migrator.coco import Image, Plan, write_coco
from tests.migrator.coco_rules import vision_coco_problems

CATS = [("t-cat", "cat"), ("t-dog", "dog")]


def _write(flavour, kind, images):
    out = io.StringIO()
    counts = write_coco(
        out, flavour=flavour, kind=kind, categories=CATS, images=images, folder="p_1/", description="test"
    )
    return json.loads(out.getvalue()), counts


def test_the_plan_applies_the_chosen_policies():
    plan = Plan("Classification", multilabel="skip", negative="skip", negative_tag_ids={"neg"})
    assert plan.labels_for([]) == []
    assert plan.labels_for([["neg"]]) == []
    assert plan.labels_for([["t-cat"], ["t-dog"]]) == []
    assert plan.labels_for([["t-cat"], ["neg"]]) == [["t-cat"]]
    assert dict(plan.skipped) == {"untagged": 1, "negative": 1, "multilabel": 1}
    first = Plan("Classification", multilabel="first")
    assert first.labels_for([["t-cat"], ["t-dog"]]) == [["t-cat"]]
    keep = Plan("Classification", negative="category", negative_tag_ids={"neg"})
    assert keep.labels_for([["neg"]]) == [["neg"]]


def test_boxes_are_clamped_into_the_unit_square_and_counted():
    plan = Plan("ObjectDetection")
    labels = plan.labels_for(
        [
            ["t-cat", 0.5, 0.5, 0.6, 0.2],
            ["t-dog", -0.1, 0.1, 0.3, 0.3],
            ["t-cat", 0.1, 0.1, 0.2, 0.2],
            ["t-dog", 1.2, 0.1, 0.1, 0.1],
        ]
    )
    assert labels == [
        ["t-cat", 0.5, 0.5, 0.5, 0.2],
        ["t-dog", 0.0, 0.1, 0.2, 0.3],
        ["t-cat", 0.1, 0.1, 0.2, 0.2],
    ]
    assert (plan.clamped_boxes, plan.dropped_boxes) == (2, 1)


def test_vision_flavour_passes_the_checker_rules_for_detection():
    images = [
        Image(200, 100, "p_1/images/a.jpg", "http://s/c/p_1/images/a.jpg", [["t-cat", 0.0, 0.0, 1.0, 1.0]]),
        Image(
            300,
            300,
            "p_1/images/b.png",
            "http://s/c/p_1/images/b.png",
            [["t-dog", 0.1, 0.2, 0.3, 0.4], ["t-cat", 0.5, 0.5, 0.5, 0.5]],
        ),
    ]
    coco, counts = _write("vision", "ObjectDetection", images)
    assert vision_coco_problems(coco, "ObjectDetection") == []
    assert coco["images"][1] == {
        "id": 2,
        "width": 300,
        "height": 300,
        "file_name": "p_1/images/b.png",
        "coco_url": "http://s/c/p_1/images/b.png",
        "absolute_url": "http://s/c/p_1/images/b.png",
    }
    assert coco["annotations"][1] == {"id": 2, "image_id": 2, "category_id": 2, "bbox": [0.1, 0.2, 0.3, 0.4]}
    assert counts == {"cat": 2, "dog": 1}


def test_standard_flavour_loads_in_pycocotools_with_pixel_boxes(tmp_path):
    images = [Image(200, 100, "p_1/images/a.jpg", "u", [["t-dog", 0.25, 0.5, 0.5, 0.25]])]
    coco, _ = _write("standard", "ObjectDetection", images)
    path = tmp_path / "train.standard.json"
    path.write_text(json.dumps(coco))
    api = COCO(str(path))
    ann = api.loadAnns(api.getAnnIds(imgIds=[1]))[0]
    assert ann["bbox"] == [50.0, 50.0, 100.0, 25.0]
    assert ann["area"] == 2500.0
    assert ann["iscrowd"] == 0
    assert api.loadImgs([1])[0]["file_name"] == "images/a.jpg"
    assert api.loadCats([2])[0]["name"] == "dog"


def test_classification_annotations_have_no_boxes():
    coco, _ = _write("vision", "Classification", [Image(64, 64, "p_1/images/a.jpg", "u", [["t-cat"]])])
    assert coco["annotations"] == [{"id": 1, "image_id": 1, "category_id": 1}]
    assert vision_coco_problems(coco, "Classification") == []


def test_retries_back_off_and_honour_retry_after():
    import requests

    sleeps: list[float] = []
    policy = RetryPolicy(sleep=sleeps.append)
    calls = iter([429, 503, 200])

    def flaky():
        status = next(calls)
        if status != 200:
            response = requests.Response()
            response.status_code = status
            response.headers["Retry-After"] = "2" if status == 429 else None
            raise requests.HTTPError(response=response)
        return "ok"

    assert with_retries(flaky, policy) == "ok"
    assert policy.retries == 2
    assert 2 <= sleeps[0] <= 2.2  # Retry-After honoured
    assert sleeps[1] <= 0.5  # jittered backoff


def test_client_errors_are_not_retried():
    import pytest
    import requests

    policy = RetryPolicy(sleep=lambda s: None)
    response = requests.Response()
    response.status_code = 400

    def bad():
        raise requests.HTTPError(response=response)

    with pytest.raises(requests.HTTPError):
        with_retries(bad, policy)
    assert policy.retries == 0
