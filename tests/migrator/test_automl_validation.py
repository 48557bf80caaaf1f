"""The AutoML validator: our output passes; each mutated line of a fuzzed corpus is caught at its line
with its fix; bad MLTables are caught; no input makes it raise (Hypothesis); the on-demand page (issue 13)."""

from __future__ import annotations

import copy
import json
import random

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobs.models import Job
from jobs.runner import JobContext
from migrator.automl import mltable_text
from migrator.automl_validation import Report, validate_automl, validate_mltable, yaml_subset
from migrator.services.automl import automl_validate
from tests.conftest import connect_to_sandbox, login
from workspaces.storage import storage_for

SUB = "0b0c2f4e-1111-4222-8333-944455556666"
PREFIX = f"azureml://subscriptions/{SUB}/resourcegroups/rg/workspaces/ws1/datastores/exports_ds/paths/"
N = 14


def _detection() -> list[dict]:
    return [
        {
            "image_url": f"{PREFIX}p/images/{i}.jpg",
            "image_details": {"format": "jpg", "width": 200, "height": 100},
            "label": [
                {"label": "cat", "topX": 0.1, "topY": 0.2, "bottomX": 0.4, "bottomY": 0.6, "isCrowd": 0},
                {"label": "dog", "topX": 0.5, "topY": 0.5, "bottomX": 0.9, "bottomY": 0.95, "isCrowd": 0},
            ],
        }
        for i in range(N)
    ]


def _multiclass() -> list[dict]:
    return [
        {"image_url": f"{PREFIX}p/images/{i}.png", "image_details": {"format": "png", "width": 64, "height": "64px"},
         "label": "cat" if i % 2 else "dog"}
        for i in range(N * 2)
    ]  # fmt: skip


def _multilabel() -> list[dict]:
    return [
        {"image_url": f"{PREFIX}p/images/{i}.jpg", "label": ["cat", "dog"] if i % 4 else ["cat"]}
        for i in range(N + 1)
    ]


TASK = {
    "_detection": "image_object_detection",
    "_multiclass": "image_classification",
    "_multilabel": "image_classification_multilabel",
}


def _text(lines: list) -> str:
    return "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)


def _paths(lines: list[dict]) -> set[str]:
    return {line["image_url"].split("/paths/", 1)[1] for line in lines}


@pytest.mark.parametrize("build", [_detection, _multiclass, _multilabel])
def test_our_shape_of_file_passes(build):
    lines = build()
    report = validate_automl(_text(lines), exists=lambda paths: _paths(lines))
    assert report.ok and not report.warnings, report.as_dict()


# One mutation per kind of problem: (name, the files it applies to, mutate(line) or None, expected code).
def _set_box(key, value):
    def mutate(line):
        line["label"][0][key] = value
        return line

    return mutate


def _pixels(line):
    box = line["label"][1]
    box.update(
        topX=box["topX"] * 200,
        topY=box["topY"] * 100,
        bottomX=box["bottomX"] * 200,
        bottomY=box["bottomY"] * 100,
    )
    return line


def _swap_y(line):
    box = line["label"][0]
    box["topY"], box["bottomY"] = box["bottomY"], box["topY"]
    return line


def _swap_x(line):
    box = line["label"][1]
    box["topX"], box["bottomX"] = box["bottomX"], box["topX"]
    return line


def _set(key, value):
    def mutate(line):
        line[key] = value
        return line

    return mutate


def _drop(key):
    def mutate(line):
        line.pop(key)
        return line

    return mutate


def _details(key, value):
    def mutate(line):
        line.setdefault("image_details", {})[key] = value
        return line

    return mutate


MUTATIONS = [
    ("detection label as a string", _detection, _set("label", "cat"), "label_shape"),
    ("detection label as names", _detection, _set("label", ["cat"]), "label_shape"),
    ("multiclass label as a list", _multiclass, _set("label", ["cat"]), "label_shape"),
    ("multilabel label as boxes", _multilabel, _set("label", [{"label": "cat"}]), "label_shape"),
    ("multiclass label a number", _multiclass, _set("label", 3), "label_shape"),
    ("pixel corners", _detection, _pixels, "box_pixels"),
    ("a negative corner", _detection, _set_box("topX", -0.2), "box_outside"),
    ("a corner over 1", _detection, _set_box("bottomY", 1.3), "box_pixels"),
    ("bottom above top", _detection, _swap_y, "box_corners_order"),
    ("right left of left", _detection, _swap_x, "box_corners_order"),
    ("an empty box", _detection, _set_box("bottomX", 0.1), "box_empty"),
    ("a string corner", _detection, _set_box("topX", "0.1"), "box_corner_not_number"),
    (
        "a missing corner",
        _detection,
        lambda line: (line["label"][0].pop("bottomY"), line)[1],
        "box_corner_not_number",
    ),
    ("a box without a class", _detection, _set_box("label", ""), "box_label"),
    ("isCrowd 2", _detection, _set_box("isCrowd", 2), "box_is_crowd"),
    (
        "a blob URL",
        _multiclass,
        _set("image_url", "https://acct.blob.core.windows.net/c/p/images/1.png"),
        "image_url_blob",
    ),
    (
        "a short datastore URI",
        _detection,
        _set("image_url", "azureml://datastores/exports_ds/paths/p/1.jpg"),
        "image_url_pattern",
    ),
    ("a relative path", _multilabel, _set("image_url", "images/1.jpg"), "image_url_pattern"),
    ("no image_url", _multilabel, _drop("image_url"), "image_url_missing"),
    ("no label", _multiclass, _drop("label"), "label_missing"),
    ("width zero", _multiclass, _details("width", 0), "image_width"),
    ("height in cm", _detection, _details("height", "10cm"), "image_height"),
    ("details a list", _detection, _set("image_details", [1, 2]), "image_details_not_object"),
    ("not JSON", _multiclass, lambda line: json.dumps(line)[:-1], "line_not_json"),
    ("not an object", _multilabel, lambda line: "[1, 2]", "line_not_object"),
    ("a blank line", _detection, lambda line: "   ", "line_blank"),
]


@pytest.mark.parametrize(("name", "build", "mutate", "code"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_each_mutation_is_caught_at_its_line(name, build, mutate, code):
    lines = build()
    index = 5
    lines[index] = mutate(copy.deepcopy(lines[index]))
    report = validate_automl(_text(lines), task=TASK[build.__name__]).as_dict()
    found = {g["code"]: g for g in report["errors"] + report["warnings"]}
    assert code in found, (name, list(found))
    group = found[code]
    assert group["fix"]
    assert any(place.startswith(f"line {index + 1}") for place in group["where"]), group["where"]


def test_a_fuzzed_corpus_is_caught_line_by_line():
    """200 files, each with 1-3 random mutations on random lines: every one is reported at its line."""
    rng = random.Random(13)
    for _ in range(200):
        name, build, mutate, code = rng.choice(MUTATIONS)
        lines = build()
        hit = rng.sample(range(len(lines)), rng.randint(1, 3))
        for index in hit:
            lines[index] = mutate(copy.deepcopy(lines[index]))
        report = validate_automl(_text(lines), task=TASK[build.__name__]).as_dict()
        group = next((g for g in report["errors"] + report["warnings"] if g["code"] == code), None)
        assert group is not None, (name, hit)
        assert group["count"] >= len(hit) or code == "label_shape"
        where = " ".join(group["where"])
        assert all(f"line {index + 1}" in where for index in hit), (name, hit, group["where"])
        if code != "line_blank":
            assert not report["ok"] or group["severity"] == "warning"


def test_without_a_task_one_bad_first_line_is_the_only_one_reported():
    lines = _detection()
    lines[0]["label"] = "cat"
    report = validate_automl(_text(lines)).as_dict()
    assert report["task"] == "image_object_detection"
    (group,) = report["errors"]
    assert group["code"] == "label_shape" and group["where"] == [
        "line 1: label is a string (multiclass classification)"
    ]


def test_a_missing_image_is_reported_at_its_line():
    lines = _detection()
    present = _paths(lines) - {"p/images/7.jpg"}
    report = validate_automl(_text(lines), exists=lambda paths: present).as_dict()
    (group,) = [g for g in report["errors"] if g["code"] == "image_missing"]
    assert group["where"] == ['line 8: "p/images/7.jpg"']


def test_too_few_images_and_few_per_label():
    lines = _detection()[:9]
    report = validate_automl(_text(lines)).as_dict()
    assert [g["code"] for g in report["errors"]] == ["too_few_images"]
    assert "at least 10 images" in report["errors"][0]["message"]
    assert [g["code"] for g in report["warnings"]] == ["few_per_label"]
    assert validate_automl(_text(lines), purpose="validation").ok


def test_another_datastore_is_an_error_when_one_is_expected():
    lines = _multilabel()
    report = validate_automl(_text(lines), datastore=(SUB, "rg", "ws1", "other_ds")).as_dict()
    assert [g["code"] for g in report["errors"]] == ["image_url_other_datastore"]


def test_the_given_task_wins_over_the_first_line():
    report = validate_automl(_text(_multiclass()), task="image_object_detection").as_dict()
    assert report["errors"][0]["code"] == "label_shape"
    assert report["errors"][0]["count"] == 2 * N


BAD_MLTABLES = [
    (
        "no stream_info",
        mltable_text("t.jsonl").replace("column_type: stream_info", "column_type: string"),
        "mltable_stream_info",
    ),
    ("another file", mltable_text("other.jsonl"), "mltable_paths"),
    ("no paths", mltable_text("t.jsonl").replace("paths:\n  - file: ./t.jsonl\n", ""), "mltable_paths"),
    (
        "invalid lines dropped",
        mltable_text("t.jsonl").replace("invalid_lines: error", "invalid_lines: drop"),
        "mltable_read_json_lines",
    ),
    (
        "not json lines",
        mltable_text("t.jsonl").replace("read_json_lines", "read_delimited"),
        "mltable_read_json_lines",
    ),
    ("tabs", mltable_text("t.jsonl").replace("  - file", "\t- file"), "mltable_unreadable"),
    ("not YAML", "paths: [\n  - {", "mltable_unreadable"),
    ("a list", "- a\n- b\n", "mltable_structure"),
    ("empty", "", "mltable_structure"),
    ("binary", b"\xff\xfe\x00", "mltable_unreadable"),
]


@pytest.mark.parametrize(("name", "text", "code"), BAD_MLTABLES, ids=[b[0] for b in BAD_MLTABLES])
def test_a_bad_mltable_is_caught(name, text, code):
    report = Report("image_classification", "training")
    validate_mltable(report, text, "t.jsonl")
    assert code in {g.code for g in report.errors}, (name, [g.code for g in report.errors])


def test_our_mltable_and_its_flow_form_pass():
    for text in (
        mltable_text("t.jsonl"),
        "paths:\n- file: ./t.jsonl\ntransformations:\n- read_json_lines: {encoding: utf8, invalid_lines: error, "
        "include_path_column: false}\n- convert_column_types:\n  - columns: [image_url]\n    column_type: stream_info\n",
    ):
        report = Report("image_classification", "training")
        validate_mltable(report, text, "t.jsonl")
        assert report.ok, [g.__dict__ for g in report.errors]
    assert yaml_subset(mltable_text("t.jsonl"))["paths"] == [{"file": "./t.jsonl"}]


# --- never raises ------------------------------------------------------------------------------

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**20, max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=25,
)
KEYS = st.sampled_from(
    ["image_url", "image_details", "label", "topX", "bottomY", "isCrowd", "format", "width"]
)
LINE = st.one_of(
    JSON.map(json.dumps),
    st.fixed_dictionaries({}, optional=dict.fromkeys(("image_url", "image_details", "label"), JSON)).map(
        json.dumps
    ),
    st.dictionaries(KEYS, JSON, max_size=4).map(
        lambda d: json.dumps({"label": [d], "image_url": PREFIX + "a"})
    ),
    st.text(max_size=40),
)


def _no_bug(report: Report) -> None:
    assert isinstance(report.as_dict(), dict)
    assert "validator_failed" not in report.groups, report.groups["validator_failed"].where


@FAST
@given(
    lines=st.lists(LINE, max_size=12),
    task=st.sampled_from(
        [None, "image_classification", "image_object_detection", "image_classification_multilabel", "bogus"]
    ),
)
def test_any_lines_get_a_report(lines, task):
    _no_bug(
        validate_automl(
            "\n".join(lines), task=task, exists=lambda paths: set(), datastore=(SUB, "rg", "ws", "d")
        )
    )


@FAST
@given(data=st.binary(max_size=300))
def test_any_bytes_get_a_report(data):
    _no_bug(validate_automl(data))
    _no_bug(validate_automl(iter(data.splitlines(keepends=True))))


YAMLISH = st.lists(
    st.tuples(
        st.integers(0, 8),
        st.sampled_from(["- ", "", "-", "- - "]),
        st.one_of(
            st.sampled_from(
                [
                    "paths:",
                    "file: ./t.jsonl",
                    "read_json_lines: {encoding: utf8}",
                    "columns: image_url",
                    "a: [1",
                    "x: 'q",
                    "#",
                    "---",
                    "k:v",
                    "{a",
                    ":",
                ]
            ),
            st.text(max_size=15),
        ),
    ),
    max_size=15,
).map(lambda rows: "\n".join(" " * n + dash + text for n, dash, text in rows))


@FAST
@given(text=st.one_of(YAMLISH, st.text(max_size=200), st.binary(max_size=100)))
def test_any_mltable_gets_a_verdict(text):
    report = Report("image_classification", "training")
    validate_mltable(report, text, "t.jsonl")
    assert all(g.fix and g.where for g in report.errors)


def test_deep_nesting_and_huge_numbers_get_a_report():
    deep = '{"image_url": "' + PREFIX + 'a", "label": ' + "[" * 5000 + "]" * 5000 + "}"
    huge = '{"image_url": "' + PREFIX + 'a", "label": [{"label": "x", "topX": 1' + "0" * 5000 + "}]}"
    report = validate_automl(deep + "\n" + huge + "\n").as_dict()
    assert {g["code"] for g in report["errors"]} >= {"line_not_json"}
    nested = Report("image_classification", "training")
    validate_mltable(nested, "a:\n" + "".join(" " * i + "- \n" for i in range(3000)), "t.jsonl")
    assert nested.errors


# --- the on-demand page ----------------------------------------------------------------------------


@pytest.fixture
def stored(personas):
    connect_to_sandbox(personas.workspace, "http://127.0.0.1:9")
    _, store = storage_for(personas.workspace)
    lines = _multiclass()
    for path in _paths(lines):
        store.put(path, b"\xff\xd8\xff fake", "image/jpeg")
    store.put("p/automl/train/train_annotations.jsonl", _text(lines).encode())
    store.put("p/automl/train/MLTable", mltable_text("train_annotations.jsonl").encode())
    return personas, store


@pytest.mark.django_db
def test_the_page_refuses_bad_input_with_a_sentence_before_any_job(stored, client):
    personas, _ = stored
    login(client, personas.bob)
    url = reverse("migrator:automl_validate", kwargs={"ws_id": personas.workspace.pk})
    assert client.get(url).status_code == 200
    for data, sentence in (
        ({"path": "../etc/passwd", "purpose": "training"}, "without .. or backslashes"),
        ({"path": "p/nothing.jsonl", "purpose": "training"}, "There is no file p/nothing.jsonl"),
        (
            {
                "path": "p/automl/train/train_annotations.jsonl",
                "purpose": "training",
                "datastore": "azureml://x",
            },
            "not an Azure ML datastore URI prefix",
        ),
        ({"path": "p/a.jsonl", "purpose": "sideways"}, "Select a valid choice"),
    ):
        response = client.post(url, data)
        assert response.status_code == 200
        assert sentence in response.content.decode()
    assert not Job.objects.filter(kind="automl_validate").exists()
    login(client, personas.charlie)
    assert client.get(url).status_code == 404
    assert client.post(url, {"path": "p/automl/train/train_annotations.jsonl"}).status_code == 404


@pytest.mark.django_db
def test_the_job_validates_a_stored_file_and_its_mltable(stored):
    personas, store = stored
    job = Job.objects.create(
        workspace=personas.workspace,
        actor=personas.alice,
        kind="automl_validate",
        status=Job.Status.RUNNING,
        params={
            "path": "p/automl/train/train_annotations.jsonl",
            "task": "",
            "purpose": "training",
            "datastore": "",
        },
    )
    result = automl_validate(job, JobContext(job))
    assert result["validation"]["ok"], result["validation"]
    assert result["validation"]["images"] == 2 * N
    store.delete("p/images/3.png")
    store.put("p/automl/train/MLTable", b"paths:\n  - file: ./elsewhere.jsonl\n")
    result = automl_validate(job, JobContext(job))
    codes = {g["code"] for g in result["validation"]["errors"]}
    assert codes == {"image_missing", "mltable_paths", "mltable_read_json_lines", "mltable_stream_info"}


# --- the forms give a verdict on any input ---------------------------------------------------------

FORM_TEXT = st.one_of(st.text(max_size=80), st.just(PREFIX), st.just(PREFIX.replace("exports_ds", "a b")))


@FAST
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            "folder": FORM_TEXT,
            "flavours": st.lists(st.sampled_from(["vision", "standard", "automl", "x"]), max_size=4),
            "validation_share": st.one_of(st.integers(-5, 200).map(str), st.text(max_size=5)),
            "datastore": FORM_TEXT,
            "multilabel": st.sampled_from(["skip", "first", "all", ""]),
            "negative": st.sampled_from(["skip", "category", "?"]),
            "existing": st.sampled_from(["version", "overwrite", ""]),
            "path": FORM_TEXT,
            "task": st.one_of(
                st.sampled_from(["", "image_classification", "image_object_detection"]), st.text(max_size=5)
            ),
            "purpose": st.sampled_from(["training", "validation", "x"]),
        },
    )
)
def test_the_forms_give_a_verdict_on_any_input(data):
    from django.http import QueryDict

    from migrator.forms import AutomlValidateForm, ExportForm

    query = QueryDict(mutable=True)
    for key, value in data.items():
        if isinstance(value, list):
            query.setlist(key, value)
        else:
            query[key] = value
    for form in (ExportForm(query), AutomlValidateForm(query)):
        if form.is_valid():
            assert "\x00" not in form.cleaned_data.get("datastore", "")
        else:
            assert all(isinstance(m, str) and m for ms in form.errors.values() for m in ms)


@pytest.mark.django_db
def test_an_export_with_nothing_to_label_writes_empty_files_and_says_so(personas):
    from types import SimpleNamespace

    from azureclient.retry import RetryPolicy
    from migrator.automl import Row
    from migrator.services.automl import automl_write

    connect_to_sandbox(personas.workspace, "http://127.0.0.1:9")
    _, store = storage_for(personas.workspace)
    tags = [SimpleNamespace(id="t", name="cat", type="Regular", image_count=0)]
    section = automl_write(
        store=store,
        policy=RetryPolicy(),
        rows=lambda: [Row("a", 10, 10, "e/images/a.jpg", [])],
        folder="e/",
        suffix="",
        project_name="Empty",
        kind="Classification",
        classification_type="Multiclass",
        tags=tags,
        params={"validation_share": 20, "datastore": ""},
    )
    assert section["images"] == {"train": 0, "validation": 0}
    assert section["left_out_images"] == {"untagged": ["e/images/a.jpg"]}
    assert [g["code"] for g in section["validation"]["train"]["errors"]] == ["file_empty"]
    assert store.get("e/automl/train/train_annotations.jsonl") == b""
