"""COCO pre-flight validation: the checker's rules without its bugs, plus what nobody checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from customization.validation import CLASSIFICATION, DETECTION, check_sas_expiry, validate_coco


def coco(kind=DETECTION, n_images=4, boxes=True):
    images = [
        {
            "id": i,
            "width": 200,
            "height": 100,
            "file_name": f"images/{i}.jpg",
            "coco_url": f"http://x/{i}.jpg",
        }
        for i in range(1, n_images + 1)
    ]
    annotations = []
    for i in range(1, n_images + 1):
        ann = {"id": i, "image_id": i, "category_id": 1 + i % 2}
        if boxes:
            ann["bbox"] = [0.1, 0.1, 0.5, 0.5]
        annotations.append(ann)
    return {
        "images": images,
        "annotations": annotations,
        "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
    }


def codes(report):
    return {g.code: g.count for g in report.groups.values()}


def test_a_clean_file_passes():
    report = validate_coco(coco(), kind=DETECTION)
    assert report.ok
    assert codes(report) == {}
    assert report.per_category == {"cat": 2, "dog": 2}


def test_detection_boxes_are_always_checked_and_pixel_boxes_are_explained():
    data = coco()
    data["annotations"][0]["bbox"] = [20, 10, 100, 50]
    data["annotations"][1]["bbox"] = [0.8, 0.1, 0.5, 0.5]
    del data["annotations"][2]["bbox"]
    report = validate_coco(data, kind=DETECTION)
    assert codes(report) == {"bbox_pixels": 1, "bbox_range": 1, "bbox_missing": 1}
    pixels = report.groups["bbox_pixels"]
    assert "Divide left and width by the image width" in pixels.fix
    assert pixels.where == ["annotation id 1 (image 1): [20, 10, 100, 50]"]
    assert not report.ok


def test_ids_must_be_dense_integers():
    data = coco()
    data["images"][0]["id"] = 1.0
    data["images"][3]["id"] = 7
    data["annotations"][3]["image_id"] = 7
    report = validate_coco(data, kind=DETECTION)
    assert {"image_id_type", "image_ids_dense"} <= set(codes(report))


def test_what_nobody_checks_for_classification():
    data = coco(CLASSIFICATION, n_images=6, boxes=False)
    data["annotations"].append({"id": 7, "image_id": 1, "category_id": 2})  # a second label
    data["annotations"][1]["bbox"] = [0.1, 0.1, 0.2, 0.2]
    data["images"].append({"id": 7, "width": 64, "height": 64, "file_name": "u.jpg", "coco_url": "u"})
    data["categories"].append({"id": 3, "name": "Negative"})
    report = validate_coco(data, kind=CLASSIFICATION)
    assert codes(report) == {
        "several_labels": 1,
        "bbox_on_classification": 1,
        "image_unannotated": 1,
        "negative_category": 1,
        "category_unused": 1,
    }
    assert [g.code for g in report.errors] == ["several_labels"]


def test_quotas_per_purpose():
    data = coco(CLASSIFICATION, n_images=3, boxes=False)  # cat has 1 annotation
    assert "category_too_few" in codes(validate_coco(data, kind=CLASSIFICATION, purpose="training"))
    assert "category_too_few" not in codes(validate_coco(data, kind=CLASSIFICATION, purpose="evaluation"))
    data["images"][0]["width"] = 20
    assert "image_size_range" in codes(validate_coco(data, kind=CLASSIFICATION, purpose="evaluation"))


def test_repeats_are_grouped_with_a_bounded_list_of_places():
    data = coco(DETECTION, n_images=100)
    for ann in data["annotations"]:
        ann["bbox"] = [0.9, 0.9, 0.5, 0.5]
    group = validate_coco(data, kind=DETECTION).groups["bbox_range"]
    assert group.count == 100
    assert len(group.where) == 20


def test_missing_lists_and_urls():
    report = validate_coco(
        {"images": [{"id": 1, "width": 50, "height": 50, "file_name": "a"}]}, kind=DETECTION
    )
    assert {"missing_annotations", "missing_categories", "image_url"} <= set(codes(report))


@pytest.mark.parametrize(("hours", "ok"), [(2, False), (200, True)])
def test_a_sas_must_outlive_the_budget(hours, ok):
    from customization.validation import Report

    expiry = (datetime.now(UTC) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
    report = Report(DETECTION, "training")
    check_sas_expiry(report, f"sv=2024&se={expiry}&sp=rl&sig=x", budget_hours=5)
    assert report.ok is ok


@pytest.mark.parametrize(("hours", "ok"), [(2, False), (200, True)])
def test_a_local_storage_token_expiry_is_read_too(settings, hours, ok):
    from blobstore.signing import container_token
    from customization.validation import Report

    report = Report(DETECTION, "training")
    check_sas_expiry(report, container_token("storage", "ws/exports/", hours * 3600), budget_hours=5)
    assert report.ok is ok
    assert "sas_no_expiry" not in report.groups
