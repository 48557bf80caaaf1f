"""Datasets through the samples' DatasetClient (and raw REST where the samples have no call)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
from azure.storage.blob import BlobServiceClient, ContainerSasPermissions, generate_container_sas
from cognitive_service_vision_model_customization_python_samples import (
    AnnotationKind,
    Authentication,
    AuthenticationKind,
    Dataset,
)

from sandbox.services.faults import faults_set
from sandbox.vision.models import VisionDataset
from tests.conftest import AZURITE_ACCOUNT, AZURITE_KEY
from tests.sandbox_vision.conftest import sas_auth, shape_picture, vision_clients

pytestmark = pytest.mark.django_db(transaction=True)


def _error(exc: requests.HTTPError) -> tuple[int, str]:
    response = exc.response
    assert response.headers["x-ms-error-code"] == response.json()["error"]["code"]
    return response.status_code, response.json()["error"]["code"]


def test_it_registers_a_dataset_and_refuses_a_duplicate(vision, folder):
    uri = folder.put_coco("cats/train.json", folder.coco("cats"))
    dataset = Dataset(
        "cats-train",
        AnnotationKind.MULTICLASS_CLASSIFICATION,
        [uri],
        sas_auth(folder),
        custom_properties={"team": "blue"},
    )

    registered = vision.datasets.register_dataset(dataset)

    assert registered.name == "cats-train"
    assert registered.annotation_kind == AnnotationKind.MULTICLASS_CLASSIFICATION
    assert registered.annotation_file_uris == [uri]
    assert registered.authentication.kind == AuthenticationKind.SAS
    assert registered.authentication.sas_token is None  # a secret: kept, never written back
    row = VisionDataset.objects.get(name="cats-train")
    assert (row.image_count, row.annotation_count, row.category_names) == (16, 16, ["circle", "square"])
    assert row.custom_properties == {"team": "blue"}

    with pytest.raises(requests.HTTPError) as exc:
        vision.datasets.register_dataset(dataset)
    assert _error(exc.value) == (409, "DatasetAlreadyExists")

    raw = requests.get(
        vision.api("datasets/cats-train"), params=vision.params, headers=vision.headers, timeout=10
    )
    body = raw.json()
    assert raw.status_code == 200
    assert set(body) >= {
        "name",
        "annotationKind",
        "annotationFileUris",
        "authentication",
        "customProperties",
        "createdDateTime",
        "updatedDateTime",
        "eTag",
    }
    assert body["customProperties"] == {"team": "blue"}
    assert raw.headers["ETag"] == f'"{body["eTag"]}"'
    assert body["createdDateTime"].endswith("Z") and "T" in body["createdDateTime"]


def test_camel_case_bodies_and_json_patch_content_type_work_too(vision, folder):
    uri = folder.put_coco(
        "d/train.json", folder.coco("d", kind="imageObjectDetection", per_class=2), signed=False
    )
    response = requests.put(
        vision.api("datasets/boxes"),
        params={"api-version": "2023-02-01-preview"},
        headers={**vision.headers, "Content-Type": "application/json-patch+json"},
        json={
            "annotationKind": "imageObjectDetection",
            "annotationFileUris": [uri],
            "authentication": {"kind": "sas", "sasToken": "?" + folder.sas},
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    assert response.json()["annotationKind"] == "imageObjectDetection"
    assert vision.datasets.query_dataset("boxes").annotation_kind == AnnotationKind.OBJECT_DETECTION


def test_managed_identity_reads_anonymously(vision, folder):
    # Signed links need no credentials, like a public container: managedIdentity works.
    uri = folder.put_coco("pub/train.json", folder.coco("pub", signed=True), signed=True)
    registered = vision.datasets.register_dataset(
        Dataset("public", AnnotationKind.MULTICLASS_CLASSIFICATION, [uri])
    )
    assert registered.authentication.kind == AuthenticationKind.MI

    # A private container without a SAS answers 403, which registration reports.
    private = folder.put_coco("priv/train.json", folder.coco("priv"))
    with pytest.raises(requests.HTTPError) as exc:
        vision.datasets.register_dataset(
            Dataset("private", AnnotationKind.MULTICLASS_CLASSIFICATION, [private])
        )
    assert _error(exc.value) == (400, "DatasetInvalidAnnotationUri")
    assert "403" in exc.value.response.json()["error"]["message"]
    assert folder.sas not in exc.value.response.text


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.1:9/nothing-listens-here.json",
        "{live}/blobs/storage/missing/train.json",
        "ftp://example/x.json",
    ],
)
def test_an_unreadable_annotation_uri_is_refused(vision, folder, uri):
    dataset = Dataset(
        "broken", AnnotationKind.MULTICLASS_CLASSIFICATION, [uri.format(live=vision.url)], sas_auth(folder)
    )
    with pytest.raises(requests.HTTPError) as exc:
        vision.datasets.register_dataset(dataset)
    assert _error(exc.value) == (400, "DatasetInvalidAnnotationUri")
    assert not VisionDataset.objects.exists()


def _corrupt(coco: dict, how: str) -> object:
    if how in ("not json", "nested too deep"):
        return None
    if how == "missing categories":
        del coco["categories"]
    elif how == "image ids not dense":
        coco["images"][0]["id"] = 99
    elif how == "float image id":
        coco["images"][0]["id"] = 1.0
    elif how == "no url":
        del coco["images"][0]["coco_url"]
    elif how == "one category":
        coco["categories"] = coco["categories"][:1]
        for a in coco["annotations"]:
            a["category_id"] = 1
    elif how == "absolute bbox":
        coco["annotations"][0]["bbox"] = [10, 10, 30, 30]
    elif how == "bbox past the edge":
        coco["annotations"][0]["bbox"] = [0.8, 0.1, 0.3, 0.3]
    elif how == "bad category id":
        coco["annotations"][0]["category_id"] = 7
    elif how == "tiny image":
        coco["images"][0]["width"] = 5
    return coco


@pytest.mark.parametrize(
    ("kind", "how"),
    [
        ("imageClassification", "not json"),
        ("imageClassification", "nested too deep"),
        ("imageClassification", "missing categories"),
        ("imageClassification", "image ids not dense"),
        ("imageClassification", "float image id"),
        ("imageClassification", "no url"),
        ("imageClassification", "one category"),
        ("imageClassification", "bad category id"),
        ("imageClassification", "tiny image"),
        ("imageObjectDetection", "absolute bbox"),
        ("imageObjectDetection", "bbox past the edge"),
    ],
)
def test_a_corrupt_coco_file_is_refused(vision, folder, kind, how):
    coco = _corrupt(folder.coco("c", kind=kind, per_class=2), how)
    if coco is None:
        content = b"{not json" if how == "not json" else b"[" * 100_000 + b"]" * 100_000
        folder.store.put("c/train.json", content, "application/json")
        uri = folder.link("c/train.json", signed=False)
    else:
        uri = folder.put_coco("c/train.json", coco)
    with pytest.raises(requests.HTTPError) as exc:
        vision.datasets.register_dataset(Dataset("corrupt", kind, [uri], sas_auth(folder)))
    assert _error(exc.value) == (400, "datasetCorrupt")


def test_bad_requests_are_refused(vision, folder):
    uri = folder.put_coco("x/train.json", folder.coco("x", per_class=2))

    def put(name: str, body: dict, **headers: str) -> requests.Response:
        return requests.put(
            vision.api(f"datasets/{name}"),
            params=vision.params,
            headers={**vision.headers, **headers},
            json=body,
            timeout=10,
        )

    good = {
        "annotationKind": "imageClassification",
        "annotationFileUris": [uri],
        "authentication": {"kind": "sas", "sasToken": folder.sas},
    }
    assert put("-starts-with-dash", good).json()["error"]["code"] == "InvalidArgument"
    assert put("ok", {**good, "annotationKind": "productRecognition"}).status_code == 400
    assert put("ok", {**good, "annotationFileUris": []}).status_code == 400
    assert put("ok", {**good, "authentication": {"kind": "none"}}).status_code == 400
    assert put("ok", {**good, "authentication": {"kind": "sas"}}).status_code == 400
    deep = requests.put(
        vision.api("datasets/ok"),
        params=vision.params,
        data=b"[" * 100_000 + b"]" * 100_000,
        headers={**vision.headers, "Content-Type": "application/json"},
        timeout=10,
    )
    assert (deep.status_code, deep.json()["error"]["message"]) == (400, "The body is not valid JSON.")
    wrong_type = requests.put(
        vision.api("datasets/ok"),
        params=vision.params,
        data=b"x",
        headers={**vision.headers, "Content-Type": "text/plain"},
        timeout=10,
    )
    assert wrong_type.status_code == 415
    old = requests.get(
        vision.api("datasets"),
        params={"api-version": "2022-10-12-preview"},
        headers=vision.headers,
        timeout=10,
    )
    assert old.status_code == 400 and old.json()["error"]["innererror"]["code"] == "UnsupportedApiVersion"
    missing = requests.get(
        vision.api("datasets/nope"), params=vision.params, headers=vision.headers, timeout=10
    )
    assert (missing.status_code, missing.headers["x-ms-error-code"]) == (404, "DatasetNotFound")
    unknown = requests.get(
        vision.api("nothing/here"), params=vision.params, headers=vision.headers, timeout=10
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "404"
    assert not VisionDataset.objects.exists()


def test_a_wrong_key_gets_401(vision, folder):
    wrong = vision_clients(vision.url, "not-the-key")
    with pytest.raises(requests.HTTPError) as exc:
        wrong.datasets.query_dataset("anything")
    assert exc.value.response.status_code == 401
    assert exc.value.response.json()["error"]["code"] == "401"


def test_update_changes_the_etag_and_honours_if_match(vision, folder):
    first = folder.put_coco("v1/train.json", folder.coco("v1", per_class=2))
    second = folder.put_coco("v2/train.json", folder.coco("v2", per_class=3, seed=1))
    vision.datasets.register_dataset(
        Dataset("evolving", AnnotationKind.MULTICLASS_CLASSIFICATION, [first], sas_auth(folder))
    )
    before = requests.get(
        vision.api("datasets/evolving"), params=vision.params, headers=vision.headers, timeout=10
    ).json()

    updated = vision.datasets.update_dataset(
        Dataset(
            "evolving",
            AnnotationKind.MULTICLASS_CLASSIFICATION,
            [first, second],
            sas_auth(folder),
            custom_properties={"v": "2"},
        )
    )

    assert updated.annotation_file_uris == [first, second]
    after = requests.get(
        vision.api("datasets/evolving"), params=vision.params, headers=vision.headers, timeout=10
    ).json()
    assert after["eTag"] != before["eTag"]
    assert after["updatedDateTime"] >= before["updatedDateTime"]
    assert after["customProperties"] == {"v": "2"}
    assert VisionDataset.objects.get(name="evolving").image_count == 4 + 6

    def patch(etag: str) -> requests.Response:
        return requests.patch(
            vision.api("datasets/evolving"),
            params=vision.params,
            timeout=10,
            headers={**vision.headers, "If-Match": etag, "Content-Type": "application/merge-patch+json"},
            json={"customProperties": {"v": "3"}},
        )

    stale = patch(f'"{before["eTag"]}"')
    assert (stale.status_code, stale.headers["x-ms-error-code"]) == (412, "PreconditionFailed")
    fresh = patch(f'"{after["eTag"]}"')
    assert fresh.status_code == 200 and fresh.json()["customProperties"] == {"v": "3"}
    assert fresh.json()["annotationFileUris"] == [first, second]  # a merge: the rest is kept

    with pytest.raises(requests.HTTPError) as exc:
        vision.datasets.update_dataset(
            Dataset("never-registered", AnnotationKind.MULTICLASS_CLASSIFICATION, [first])
        )
    assert _error(exc.value) == (404, "DatasetNotFound")


def test_lists_page_with_skip_top_and_next_link(vision, folder):
    uri = folder.put_coco("p/train.json", folder.coco("p", per_class=2))
    names = [f"page-{n:02d}" for n in range(5)]
    for name in names:
        vision.datasets.register_dataset(
            Dataset(name, AnnotationKind.MULTICLASS_CLASSIFICATION, [uri], sas_auth(folder))
        )

    seen: list[str] = []
    url: str | None = vision.api("datasets")
    params: dict[str, str] | None = {**vision.params, "top": "2"}
    pages = 0
    while url:
        page = requests.get(url, params=params, headers=vision.headers, timeout=10).json()
        seen += [d["name"] for d in page["value"]]
        url, params, pages = page.get("nextLink"), None, pages + 1
    assert seen == names and pages == 3

    everything = requests.get(
        vision.api("datasets"), params=vision.params, headers=vision.headers, timeout=10
    ).json()
    assert [d["name"] for d in everything["value"]] == names and "nextLink" not in everything
    too_many = requests.get(
        vision.api("datasets"), params={**vision.params, "top": "31"}, headers=vision.headers, timeout=10
    )
    assert too_many.status_code == 400

    vision.datasets.delete_dataset("page-00")
    with pytest.raises(requests.HTTPError) as exc:
        vision.datasets.query_dataset("page-00")
    assert _error(exc.value) == (404, "DatasetNotFound")
    # The double slash the samples' EvaluationClient sends works on every path.
    double = requests.get(
        f"{vision.url}/computervision//datasets//page-01",
        params=vision.params,
        headers=vision.headers,
        timeout=10,
    )
    assert double.status_code == 200 and double.json()["name"] == "page-01"


def test_a_sas_dataset_in_azurite(vision, azurite):
    service = BlobServiceClient(azurite, credential=AZURITE_KEY)
    container = service.get_container_client("vision-datasets-test")
    if not container.exists():
        container.create_container()
    images, annotations = [], []
    for n in range(4):
        data, _ = shape_picture(("circle", "square")[n % 2], n)
        container.upload_blob(f"images/{n}.png", data, overwrite=True)
        images.append(
            {
                "id": n + 1,
                "width": 96,
                "height": 96,
                "file_name": f"images/{n}.png",
                "coco_url": f"{azurite}/vision-datasets-test/images/{n}.png",
            }
        )
        annotations.append({"id": n + 1, "image_id": n + 1, "category_id": n % 2 + 1})
    coco = {
        "images": images,
        "annotations": annotations,
        "categories": [{"id": 1, "name": "circle"}, {"id": 2, "name": "square"}],
    }
    container.upload_blob("train.json", json.dumps(coco).encode(), overwrite=True)
    sas = generate_container_sas(
        AZURITE_ACCOUNT,
        "vision-datasets-test",
        account_key=AZURITE_KEY,
        permission=ContainerSasPermissions(read=True, list=True),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )
    uri = f"{azurite}/vision-datasets-test/train.json"

    registered = vision.datasets.register_dataset(
        Dataset(
            "in-azurite",
            AnnotationKind.MULTICLASS_CLASSIFICATION,
            [uri],
            Authentication(AuthenticationKind.SAS, sas),
        )
    )
    assert registered.name == "in-azurite"
    assert VisionDataset.objects.get(name="in-azurite").image_count == 4

    with pytest.raises(requests.HTTPError) as exc:  # the container is private: no SAS, no read
        vision.datasets.register_dataset(Dataset("no-sas", AnnotationKind.MULTICLASS_CLASSIFICATION, [uri]))
    assert _error(exc.value) == (400, "DatasetInvalidAnnotationUri")


def test_fault_injection_applies_to_every_vision_path(vision):
    faults_set(error_rate=1.0)
    for path in ("models", "datasets/x", "models/m/evaluations", "imageanalysis:analyze"):
        response = requests.get(vision.api(path), params=vision.params, headers=vision.headers, timeout=10)
        assert response.status_code in (500, 503)
        assert response.headers["x-ms-error-code"] == response.json()["error"]["code"]
    faults_set(error_rate=0)
    assert (
        requests.get(
            vision.api("models"), params=vision.params, headers=vision.headers, timeout=10
        ).status_code
        == 200
    )
