"""Property-based (Hypothesis): any input to the registration form gives it a verdict (valid, or
errors), and any JSON-like value gives validate_coco a report; neither raises (issue 9)."""

from __future__ import annotations

import copy
import socket
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customization.forms import RegisterDatasetForm
from customization.validation import validate_coco
from tests.customization.test_bad_input import _valid_coco

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FIELDS = ("name", "kind", "purpose", "source", "path", "url", "auth", "budget_hours", "check", "export_job")

URLS = st.from_regex(
    r"\A(https?|ftp|file|gopher|[a-z]{1,6})://(\[[0-9a-f:.]{0,20}\]?|[a-z0-9.%@:-]{0,30})(:[0-9]{0,6})?"
    r"(/[\w./%-]{0,20})?(\?[\w=&%.-]{0,20})?(#\w{0,5})?\Z",
    fullmatch=True,
)
CHOICES = {
    "kind": ["imageObjectDetection", "imageClassification"],
    "purpose": ["training", "evaluation"],
    "source": ["storage", "url"],
    "auth": ["sas", "managedIdentity"],
    "check": ["sample", "all", "none"],
}


def _field(name: str) -> st.SearchStrategy[str]:
    text = st.text(max_size=60)
    if name in CHOICES:
        return st.one_of(st.sampled_from(CHOICES[name]), text)
    if name == "url":
        return st.one_of(URLS, text)
    if name == "budget_hours":
        return st.one_of(
            st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers().map(str), text
        )
    if name == "export_job":
        return st.one_of(st.uuids().map(str), text)
    return text


FORM_DATA = st.fixed_dictionaries({}, optional={name: _field(name) for name in FIELDS})


def _unresolved(*args, **kwargs):
    raise socket.gaierror("no DNS in this test")


@pytest.mark.django_db
@FAST
@given(data=FORM_DATA)
def test_the_registration_form_gives_a_verdict_on_any_input(personas, data):
    with mock.patch("outbound.endpoints.socket.getaddrinfo", _unresolved):
        for workspace in (None, personas.workspace):
            form = RegisterDatasetForm(data, workspace=workspace)
            if not form.is_valid():
                assert form.errors
                assert all(isinstance(m, str) and m for ms in form.errors.values() for m in ms)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**20, max_value=10**6000)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)

VALID = {"info": {"description": "shapes"}, **_valid_coco()}


def _paths(value: object, prefix: tuple = ()) -> list[tuple]:
    """Every place in ``value`` a mutation may replace."""
    found = [prefix] if prefix else []
    children = (
        value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    )
    for key, child in children:
        found += _paths(child, (*prefix, key))
    return found


PATHS = _paths(VALID)
KEYS = ["id", "image_id", "category_id", "bbox", "name", "file_name", "width", "height", "coco_url", "images"]


@st.composite
def mutated_coco(draw: st.DrawFn) -> dict:
    """The valid document with a few fields replaced (or added) with arbitrary JSON values."""
    coco = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        path = draw(st.sampled_from(PATHS))
        target = coco
        try:
            for key in path[:-1]:
                target = target[key]
            if isinstance(target, dict) and draw(st.booleans()):
                target[draw(st.sampled_from(KEYS))] = draw(JSON)
            else:
                target[path[-1]] = draw(JSON)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation replaced a parent of this place
    return coco


@FAST
@given(
    coco=st.one_of(JSON, mutated_coco()),
    kind=st.sampled_from(CHOICES["kind"]),
    purpose=st.sampled_from(CHOICES["purpose"]),
)
def test_validate_coco_gives_a_report_on_any_json_value(coco, kind, purpose):
    report = validate_coco(coco, kind=kind, purpose=purpose)
    summary = report.as_dict()
    assert summary["ok"] == (not summary["errors"])
    assert all(isinstance(w, str) and len(w) < 1000 for g in report.groups.values() for w in g.where)


def test_the_valid_document_is_valid():
    assert validate_coco(VALID, kind="imageObjectDetection").ok
