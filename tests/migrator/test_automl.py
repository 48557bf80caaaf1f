"""AutoML JSONL writing: label shapes per task, corners clamped, full paths, the stratified split, the
datastore URI, the MLTable, and what coco2jsonl gets wrong (issue 13)."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.automl import (
    MLTABLE,
    TASKS,
    Row,
    Split,
    automl_plan,
    automl_to_coco,
    datastore_parse,
    mltable_text,
    task_for,
    write_automl,
)
from migrator.automl_validation import validate_automl
from migrator.forms import ExportForm

SUB = "0b0c2f4e-1111-4222-8333-944455556666"
PREFIX = f"azureml://subscriptions/{SUB}/resourcegroups/rg-vision/workspaces/ml-ws/datastores/exports_ds"
NAMES = {"t-cat": "cat", "t-dog": "dog", "neg": "Negative"}


def _write(task, rows, share=0.0, **policy):
    plan = automl_plan(
        task,
        multilabel=policy.get("multilabel", "skip"),
        negative=policy.get("negative", "skip"),
        negative_tag_ids={"neg"},
    )
    train, validation = io.StringIO(), io.StringIO()
    written = write_automl(
        train,
        validation if share else None,
        task=task,
        rows=lambda: rows,
        names=NAMES,
        plan=plan,
        split=Split(share, {"t-cat": 5, "t-dog": 50}),
        url_for=datastore_parse(PREFIX).uri,
    )
    lines = [json.loads(line) for line in train.getvalue().splitlines()]
    held = [json.loads(line) for line in validation.getvalue().splitlines()]
    return lines, held, written


def test_task_comes_from_the_project_type():
    assert task_for("ObjectDetection", "") == "image_object_detection"
    assert task_for("Classification", "Multilabel") == "image_classification_multilabel"
    assert task_for("Classification", "Multiclass") == "image_classification"


def test_multiclass_lines_have_a_string_label_and_image_details():
    rows = [Row("a", 96, 72, "p/images/a.jpg", [["t-cat"]]), Row("b", 64, 64, "p/images/b.png", [["t-dog"]])]
    lines, _, written = _write(TASKS["multiclass"], rows)
    assert lines[0] == {
        "image_url": f"{PREFIX}/paths/p/images/a.jpg",
        "image_details": {"format": "jpg", "width": 96, "height": 72},
        "label": "cat",
    }
    assert lines[1]["image_details"]["format"] == "png"
    assert written.train == 2


def test_multilabel_lines_list_every_tag_and_negative_and_untagged_are_listed():
    rows = [
        Row("a", 10, 10, "p/images/a.jpg", [["t-dog"], ["t-cat"]]),
        Row("b", 10, 10, "p/images/b.jpg", [["neg"]]),
        Row("c", 10, 10, "p/images/c.jpg", []),
    ]
    lines, _, written = _write(TASKS["multilabel"], rows)
    assert [line["label"] for line in lines] == [["cat", "dog"]]
    assert dict(written.left_out) == {"negative": 1, "untagged": 1}
    assert written.listed == {"negative": ["p/images/b.jpg"], "untagged": ["p/images/c.jpg"]}


def test_multiclass_follows_the_several_tags_choice_and_keeps_negative_when_asked():
    rows = [
        Row("a", 10, 10, "p/images/a.jpg", [["t-cat"], ["t-dog"]]),
        Row("b", 10, 10, "p/b.jpg", [["neg"]]),
    ]
    lines, _, written = _write(TASKS["multiclass"], rows)
    assert lines == [] and dict(written.left_out) == {"multilabel": 1, "negative": 1}
    lines, _, _ = _write(TASKS["multiclass"], rows, multilabel="first", negative="category")
    assert [line["label"] for line in lines] == ["cat", "Negative"]


def test_detection_boxes_are_corners_clamped_into_the_unit_square():
    rows = [
        Row(
            "a",
            120,
            90,
            "p/images/a.jpg",
            [["t-cat", 0.1, 0.2, 0.3, 0.4], ["t-dog", 0.6, 0.5, 0.45, 0.3], ["t-dog", 1.2, 0.1, 0.1, 0.1]],
        ),
        Row("n", 120, 90, "p/images/n.jpg", [["neg"]]),
    ]
    lines, _, written = _write(TASKS["detection"], rows, negative="category")  # Negative never in detection
    (line,) = lines
    assert line["label"] == [
        {"label": "cat", "topX": 0.1, "topY": 0.2, "bottomX": 0.4, "bottomY": 0.6, "isCrowd": 0},
        {"label": "dog", "topX": 0.6, "topY": 0.5, "bottomX": 1.0, "bottomY": 0.8, "isCrowd": 0},
    ]
    assert dict(written.left_out) == {"negative": 1}


def test_small_pixel_like_boxes_are_not_guessed_to_be_normalised():
    """coco2jsonl treats max(bbox) < 1.5 as normalised; we only ever have normalised regions, so a
    box near the origin is written as it is, and a tiny box is kept, not divided again."""
    rows = [Row("a", 4000, 3000, "p/images/a.jpg", [["t-cat", 0.0001, 0.0002, 0.0003, 0.0002]])]
    lines, _, _ = _write(TASKS["detection"], rows)
    box = lines[0]["label"][0]
    assert (box["topX"], box["topY"], box["bottomX"], box["bottomY"]) == (0.0001, 0.0002, 0.0004, 0.0004)


def test_full_paths_are_kept_so_equal_basenames_do_not_collide():
    rows = [Row("a", 10, 10, "x/images/1.jpg", [["t-cat"]]), Row("b", 10, 10, "y/images/1.jpg", [["t-cat"]])]
    lines, _, _ = _write(TASKS["multiclass"], rows)
    assert len({line["image_url"] for line in lines}) == 2


def test_paths_are_percent_encoded_and_counted():
    rows = [Row("a", 10, 10, "Shapes (demo)_1/images/a.jpg", [["t-cat"]])]
    lines, _, written = _write(TASKS["multiclass"], rows)
    assert lines[0]["image_url"].endswith("/paths/Shapes%20%28demo%29_1/images/a.jpg")
    assert written.encoded_paths == 1


def test_the_split_is_stratified_deterministic_and_never_empties_a_tag():
    rows = [Row(f"c{i}", 10, 10, f"p/images/c{i}.jpg", [["t-cat"]]) for i in range(10)]
    rows += [Row(f"d{i}", 10, 10, f"p/images/d{i}.jpg", [["t-dog"]]) for i in range(40)]
    rows += [Row("lonely", 10, 10, "p/images/l.jpg", [["t-dog"], ["t-cat"]])]
    first = _write(TASKS["multilabel"], rows, share=0.2)
    again = _write(TASKS["multilabel"], list(reversed(rows)), share=0.2)
    lines, held, written = first
    assert sorted(h["image_url"] for h in held) == sorted(h["image_url"] for h in again[1])  # same images
    assert written.train + written.validation == 51
    # the cat stratum (10 images + the rare-tag multilabel image, counted as cat) holds out ~20%
    cats = [h for h in held if "cat" in h["label"]]
    assert 2 <= len(cats) <= 3
    assert all("cat" in line["label"] for line in lines if "cat" in line["label"])
    assert sum("cat" in line["label"] for line in lines) >= 8


def test_a_one_image_tag_stays_in_training():
    rows = [Row("only", 10, 10, "p/images/only.jpg", [["t-cat"]])]
    lines, held, _ = _write(TASKS["multiclass"], rows, share=0.5)
    assert len(lines) == 1 and held == []


def test_the_mltable_is_the_one_automl_samples_use():
    text = mltable_text("train_annotations.jsonl")
    assert text == MLTABLE.format(jsonl="train_annotations.jsonl")
    assert text.splitlines()[:2] == ["paths:", "  - file: ./train_annotations.jsonl"]
    assert "column_type: stream_info" in text and "invalid_lines: error" in text


@pytest.mark.parametrize(
    "text",
    [
        PREFIX,
        PREFIX + "/",
        PREFIX + "/paths/",
        PREFIX.upper().replace("AZUREML://", "azureml://"),
    ],
)
def test_datastore_prefixes_are_read_in_their_forms(text):
    datastore = datastore_parse(text)
    assert datastore is not None
    assert datastore.uri("a/b.jpg").endswith("/datastores/" + datastore.datastore + "/paths/a/b.jpg")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "https://acct.blob.core.windows.net/exports",
        "azureml://datastores/exports_ds/paths/",  # the short form names no workspace
        PREFIX.replace(SUB, "not-a-guid"),
        PREFIX + "/paths/some/folder/",
        PREFIX.replace("exports_ds", "exports-ds"),  # datastore names take letters, digits and _
        PREFIX.replace("rg-vision", "rg."),
    ],
)
def test_other_text_is_not_a_datastore_prefix(text):
    assert datastore_parse(text) is None


def _form(**data):
    base = {
        "folder": "p/",
        "flavours": ["automl"],
        "multilabel": "skip",
        "negative": "skip",
        "existing": "version",
    }
    return ExportForm({**base, **data})


def test_the_form_refuses_a_bad_datastore_prefix_with_a_sentence():
    form = _form(datastore="https://acct.blob.core.windows.net/exports", validation_share="20")
    assert not form.is_valid()
    assert "This is not an Azure ML datastore URI prefix." in form.errors["datastore"][0]
    assert "azureml://subscriptions/<subscription id>" in form.errors["datastore"][0]


def test_the_form_takes_a_share_and_normalises_the_prefix():
    form = _form(datastore=PREFIX + "/paths/", validation_share="30")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["datastore"] == PREFIX
    assert form.cleaned_data["validation_share"] == 30
    assert not _form(validation_share="80").is_valid()
    blank = _form(validation_share="")
    assert blank.is_valid() and blank.cleaned_data["validation_share"] == 20


def test_a_coco_only_export_keeps_the_parameters_it_always_had():
    form = _form(flavours=["vision", "standard"], datastore=PREFIX, validation_share="20")
    assert form.is_valid()
    assert "datastore" not in form.cleaned_data and "validation_share" not in form.cleaned_data


def test_our_lines_pass_the_validator_and_come_back_as_the_same_boxes():
    rows = [
        Row(
            f"i{i}",
            200,
            100,
            f"p/images/i{i}.jpg",
            [["t-cat", 0.1, 0.1, 0.25, 0.5], ["t-dog", 0.5, 0.2, 0.3, 0.3]],
        )
        for i in range(12)
    ]
    lines, _, _ = _write(TASKS["detection"], rows)
    text = "".join(json.dumps(line) + "\n" for line in lines)
    report = validate_automl(text, task=TASKS["detection"])
    assert report.ok, report.as_dict()
    coco = automl_to_coco(text.splitlines(), blob_name=lambda url: url.split("/paths/", 1)[1])
    assert coco["images"][0]["file_name"] == "p/images/i0.jpg"
    for annotation, expected in zip(
        coco["annotations"][:2], ([0.1, 0.1, 0.25, 0.5], [0.5, 0.2, 0.3, 0.3]), strict=True
    ):
        assert annotation["bbox"] == pytest.approx(expected, abs=1e-6)


COORD = st.floats(min_value=-0.5, max_value=1.5, allow_nan=False)
REGION = st.tuples(st.sampled_from(["t-cat", "t-dog"]), COORD, COORD, st.floats(0, 1.2), st.floats(0, 1.2))


@settings(max_examples=150, deadline=None)
@given(
    regions=st.lists(st.lists(REGION, max_size=4), min_size=1, max_size=15),
    share=st.sampled_from([0.0, 0.2, 0.5]),
)
def test_whatever_the_regions_our_lines_pass_the_validator(regions, share):
    rows = [
        Row(f"i{n}", 100, 50, f"p/images/i{n}.jpg", [list(r) for r in rs]) for n, rs in enumerate(regions)
    ]
    lines, held, written = _write(TASKS["detection"], rows, share=share)
    for part, purpose in ((lines, "training"), (held, "validation")):
        text = "".join(json.dumps(line) + "\n" for line in part)
        report = validate_automl(text, task=TASKS["detection"], purpose=purpose).as_dict()
        blocking = {g["code"] for g in report["errors"]} - {"too_few_images", "file_empty"}
        assert not blocking, report["errors"]
    assert written.train + written.validation + sum(written.left_out.values()) == len(rows)


@pytest.mark.parametrize("share", [0, 20])
def test_the_snippet_quotes_every_name_it_fills_in(share):
    import ast
    import shlex

    from migrator.services.automl import snippet

    name = "Pets'); import os; os.system('x') #\n\"<b>"
    folders = {"train": "Pets'x/automl/train/"} | (
        {"validation": "Pets'x/automl/validation/"} if share else {}
    )
    section = {"task": "image_object_detection", "datastore": PREFIX, "folders": folders}
    out = snippet(section, project_name=name)
    tree = ast.parse(out["python"])  # valid Python whatever the name
    calls = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "image_object_detection"
    ]
    (call,) = calls
    tags = ast.literal_eval(next(k.value for k in call.keywords if k.arg == "tags"))
    assert tags["project"] == name
    assert any(k.arg == "validation_data" for k in call.keywords) == bool(share)
    commands = out["cli"].split("\n\n")
    assert len(commands) == (2 if share else 1)
    words = shlex.split(commands[0].replace("\\\n", " "))
    assert words[:3] == ["az", "ml", "data"]
    assert words[words.index("--path") + 1] == f"{PREFIX}/paths/Pets%27x/automl/train/"
    assert words[words.index("--name") + 1] == "pets-import-os-os-system-x-b-train"
    assert words[words.index("--subscription") + 1] == SUB
    assert not out["placeholders"]
