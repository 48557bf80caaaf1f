"""The typed fast path answers as the general validator does (issue 11): on clean files it is taken and
gives the same report; on files with one subtle problem of any rule (a value of the right type in the
wrong place: a repeated id, a box past the edge, a shared name) and on the mutated corpus, the report
from bytes is exactly that of ``validate_coco(coco_loads(raw))``."""

from __future__ import annotations

import copy
import json

from hypothesis import example, given
from hypothesis import strategies as st

from customization.coco_json import coco_loads
from customization.validation import CLASSIFICATION, DETECTION, check_images, validate_coco
from customization.validation_fast import CocoImage, _clean_report, validate_coco_bytes
from tests.customization.test_bad_input_properties import CHOICES, FAST, mutated_coco
from tests.customization.test_coco_json import _serialised


def _clean(kind: str, n: int, categories: int = 2) -> dict:
    """A file with no problem at all: n images, one label (classification) or two boxes each."""
    images = [
        {
            "id": i,
            "file_name": f"f/{i}.png",
            "width": 96 + i,
            "height": 80,
            "coco_url": f"https://x/f/{i}.png",
        }
        for i in range(1, n + 1)
    ]
    per_image = 2 if kind == DETECTION else 1
    annotations = []
    for i in range(1, n + 1):
        for k in range(per_image):
            ann = {"id": len(annotations) + 1, "image_id": i, "category_id": (i + k) % categories + 1}
            if kind == DETECTION:
                ann["bbox"] = [0.1 * k, 0.2, 0.5, 0.25 + 0.1 * k]
            annotations.append(ann)
    return {
        "info": {"description": "clean", "version": 1},
        "images": images,
        "annotations": annotations,
        "categories": [{"id": c, "name": f"tag{c}", "supercategory": "x"} for c in range(1, categories + 1)],
    }


def _outcome(raw: bytes, kind: str, purpose: str) -> tuple:
    try:
        return ("report", validate_coco_bytes(raw, kind=kind, purpose=purpose).report.as_dict())
    except (ValueError, RecursionError) as exc:
        return ("raises", type(exc).__name__)


def _general(raw: bytes, kind: str, purpose: str) -> tuple:
    try:
        return ("report", validate_coco(coco_loads(raw), kind=kind, purpose=purpose).as_dict())
    except (ValueError, RecursionError) as exc:
        return ("raises", type(exc).__name__)


def test_a_clean_file_takes_the_fast_path_and_gets_the_same_report():
    for kind in (CLASSIFICATION, DETECTION):
        for purpose in ("training", "evaluation"):
            raw = json.dumps(_clean(kind, 60)).encode()
            fast = _clean_report(raw, kind, purpose)
            assert fast is not None, (kind, purpose)
            assert (
                fast.report.as_dict() == validate_coco(json.loads(raw), kind=kind, purpose=purpose).as_dict()
            )
            assert fast.report.ok and fast.report.per_category == {"tag1": 60, "tag2": 60} | (
                {} if kind == DETECTION else {"tag1": 30, "tag2": 30}
            )


def test_fast_path_images_read_as_entries_do():
    raw = json.dumps(_clean(CLASSIFICATION, 4)).encode()
    images = validate_coco_bytes(raw, kind=CLASSIFICATION).images
    assert all(isinstance(i, CocoImage) for i in images)
    assert images[0].get("coco_url") == "https://x/f/1.png" and images[0].get("absolute_url") is None
    report = validate_coco(json.loads(raw), kind=CLASSIFICATION)
    fetched = []
    assert check_images(report, images, fetch=lambda url: fetched.append(url) or b"not an image") == 4
    assert fetched == [f"https://x/f/{i}.png" for i in range(1, 5)]
    assert report.groups["image_undecodable"].where[0] == "image id 1 (f/1.png)"


# Values of the types the fast path accepts, in the places where one of them breaks a rule.
PLAUSIBLE = st.one_of(
    st.integers(min_value=-1, max_value=8),
    st.sampled_from([0.0, 0.5, 0.9999, 1.0, 1.0000001, 1.5, 9.0, 49, 50, 10240, 10241, 16001]),
    st.sampled_from(["", "tag1", "TAG2", "Negative", "https://x/f/1.png"]),
)
PLACES = st.sampled_from(
    [
        ("images", "id"),
        ("images", "width"),
        ("images", "height"),
        ("images", "file_name"),
        ("images", "coco_url"),
        ("annotations", "id"),
        ("annotations", "image_id"),
        ("annotations", "category_id"),
        ("annotations", "bbox"),
        ("categories", "id"),
        ("categories", "name"),
    ]
)


@st.composite
def subtle(draw: st.DrawFn) -> tuple[dict, str]:
    """A clean file with up to three values replaced, a key removed, or an entry dropped."""
    kind = draw(st.sampled_from([CLASSIFICATION, DETECTION]))
    coco = _clean(
        kind, draw(st.integers(min_value=1, max_value=6)), draw(st.integers(min_value=1, max_value=3))
    )
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        where, key = draw(PLACES)
        entries = coco[where]
        if not entries:
            continue
        entry = entries[draw(st.integers(min_value=0, max_value=len(entries) - 1))]
        how = draw(st.integers(min_value=0, max_value=3))
        if how == 0:
            entry.pop(key, None)
        elif how == 1:
            entries.remove(entry)
        elif key == "bbox" and isinstance(entry.get("bbox"), list):
            entry["bbox"][draw(st.integers(min_value=0, max_value=3))] = draw(PLAUSIBLE)
        else:
            entry[key] = draw(PLAUSIBLE)
    return coco, kind


@FAST
@given(case=subtle(), purpose=st.sampled_from(CHOICES["purpose"]), as_kind=st.booleans())
@example(case=(_clean(DETECTION, 3), DETECTION), purpose="training", as_kind=True)
def test_one_subtle_problem_gets_the_general_report(case, purpose, as_kind):
    coco, kind = case
    kind = kind if as_kind else ({CLASSIFICATION, DETECTION} - {kind}).pop()
    raw = json.dumps(coco).encode()
    assert _outcome(raw, kind, purpose) == _general(raw, kind, purpose)


@FAST
@given(
    coco=mutated_coco(), kind=st.sampled_from(CHOICES["kind"]), purpose=st.sampled_from(CHOICES["purpose"])
)
def test_the_mutated_corpus_gets_the_general_report(coco, kind, purpose):
    raw = _serialised(copy.deepcopy(coco), 0)
    assert _outcome(raw, kind, purpose) == _general(raw, kind, purpose)
