"""Registering, updating and deleting datasets; reading their COCO files.

Registration reads every annotation file at once, as the service does, and refuses a dataset
whose files cannot be read (``DatasetInvalidAnnotationUri``) or break the COCO rules
(``datasetCorrupt``). Training and evaluation read the files again (the service keeps no copy).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from sandbox.vision import conf
from sandbox.vision.body import has, pick, pick_object, pick_str
from sandbox.vision.coco import (
    CocoDataset,
    CocoError,
    Quota,
    coco_check,
    coco_merge,
    registration_quota,
    without_query,
)
from sandbox.vision.errors import VisionApiError, invalid_argument
from sandbox.vision.fetch import Access, FetchError, fetch_json
from sandbox.vision.models import VisionDataset, new_etag

KINDS = {k.value for k in VisionDataset.AnnotationKind}
AUTH_KINDS = {k.value for k in VisionDataset.AuthKind}


def name_check(name: str, what: str) -> None:
    if len(name) > conf.NAME_MAX or not re.match(conf.NAME_PATTERN, name):
        raise invalid_argument(
            f"The {what} name '{name}' is not valid: use letters, digits, '.', '_' and '-', starting with a "
            f"letter or digit, at most {conf.NAME_MAX} characters."
        )


class DatasetReadError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def dataset_read(kind: str, uris: list[str], access: Access, quota: Quota) -> CocoDataset:
    """Fetch, check and merge the annotation files; DatasetReadError says which rule failed."""
    files: list[tuple[str, dict[str, Any]]] = []
    for uri in uris:
        try:
            coco = fetch_json(uri, access)
        except FetchError as exc:
            if exc.reason == "is not valid JSON":
                raise DatasetReadError("datasetCorrupt", f"The annotation file {exc}.") from exc
            raise DatasetReadError(
                "DatasetInvalidAnnotationUri",
                f"The annotation file {exc}: check the URI and the dataset's authentication.",
            ) from exc
        try:
            coco_check(coco, kind, quota)
        except CocoError as exc:
            raise DatasetReadError(
                "datasetCorrupt", f"{without_query(uri)} is not a valid {kind} COCO file: {exc}"
            ) from exc
        files.append((uri, coco))
    try:
        return coco_merge(files, kind)
    except CocoError as exc:
        raise DatasetReadError("datasetCorrupt", str(exc)) from exc


@dataclass
class DatasetFields:
    annotation_kind: str | None = None
    annotation_file_uris: list[str] | None = None
    auth_kind: str | None = None
    sas_token: str | None = None
    custom_properties: dict[str, Any] | None = None


def _fields(data: dict[str, Any], *, partial: bool) -> DatasetFields:
    fields = DatasetFields()
    kind = pick_str(data, "annotationKind", required=not partial)
    if kind:
        if kind not in KINDS:
            raise invalid_argument(
                f"annotationKind '{kind}' is not supported: use imageClassification or imageObjectDetection."
            )
        fields.annotation_kind = kind
    uris = pick(data, "annotationFileUris")
    if uris is not None or not partial:
        if not isinstance(uris, list) or not uris:
            raise invalid_argument("annotationFileUris must be a non-empty list of URIs.")
        if not all(isinstance(u, str) and u.lower().startswith(("http://", "https://")) for u in uris):
            raise VisionApiError(
                400, "DatasetInvalidAnnotationUri", "Every annotation file URI must be an http(s) URL."
            )
        fields.annotation_file_uris = list(uris)
    auth = pick_object(data, "authentication")
    if auth is not None:
        auth_kind = pick_str(auth, "kind", required=True)
        if auth_kind not in AUTH_KINDS:
            raise invalid_argument(
                f"authentication.kind '{auth_kind}' is not supported: use managedIdentity or sas."
            )
        fields.auth_kind = auth_kind
        if auth_kind == VisionDataset.AuthKind.SAS:
            token = pick_str(auth, "sasToken")
            fields.sas_token = token or None  # None: keep the stored token (an update may omit it)
        else:
            fields.sas_token = ""
    elif not partial:
        fields.auth_kind, fields.sas_token = VisionDataset.AuthKind.MANAGED_IDENTITY, ""
    if has(data, "customProperties"):
        props = pick(data, "customProperties")
        if props is not None and not isinstance(props, dict):
            raise invalid_argument("customProperties must be an object.")
        fields.custom_properties = props or {}
    return fields


def _apply_read(dataset: VisionDataset) -> None:
    try:
        coco = dataset_read(
            dataset.annotation_kind,
            list(dataset.annotation_file_uris),
            Access.of(dataset),
            registration_quota(dataset.annotation_kind),
        )
    except DatasetReadError as exc:
        raise VisionApiError(400, exc.code, exc.message) from exc
    dataset.image_count = len(coco.images)
    dataset.annotation_count = coco.annotation_count
    dataset.category_names = coco.class_names


def dataset_register(*, name: str, data: dict[str, Any]) -> VisionDataset:
    name_check(name, "dataset")
    fields = _fields(data, partial=False)
    if VisionDataset.objects.filter(name=name).exists():
        raise VisionApiError(409, "DatasetAlreadyExists", f"A dataset named '{name}' already exists.")
    if fields.auth_kind == VisionDataset.AuthKind.SAS and not fields.sas_token:
        raise invalid_argument("authentication.sasToken is required when authentication.kind is sas.")
    now = timezone.now()
    dataset = VisionDataset(
        name=name,
        annotation_kind=fields.annotation_kind,
        annotation_file_uris=fields.annotation_file_uris,
        auth_kind=fields.auth_kind,
        sas_token=fields.sas_token or "",
        custom_properties=fields.custom_properties or {},
        created=now,
        updated=now,
    )
    _apply_read(dataset)
    try:
        with transaction.atomic():
            dataset.save(force_insert=True)
    except IntegrityError:
        raise VisionApiError(
            409, "DatasetAlreadyExists", f"A dataset named '{name}' already exists."
        ) from None
    return dataset


def etag_matches(header: str, etag: str) -> bool:
    """If-Match: '*' or any listed tag (quoted or not, weak or not) equal to the dataset's."""
    for part in header.split(","):
        tag = part.strip()
        if tag == "*":
            return True
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag.strip('"') == etag:
            return True
    return False


def dataset_update(*, dataset: VisionDataset, data: dict[str, Any], if_match: str | None) -> VisionDataset:
    """Merge the given fields; the annotation files are read again when their URIs or access change."""
    if if_match is not None and not etag_matches(if_match, dataset.etag):
        raise VisionApiError(
            412, "PreconditionFailed", "The If-Match eTag does not match the dataset's current eTag."
        )
    original_etag = dataset.etag
    fields = _fields(data, partial=True)
    if fields.annotation_kind and fields.annotation_kind != dataset.annotation_kind:
        raise invalid_argument(
            "annotationKind of a registered dataset cannot change; register a new dataset."
        )
    reread = False
    if (
        fields.annotation_file_uris is not None
        and fields.annotation_file_uris != dataset.annotation_file_uris
    ):
        dataset.annotation_file_uris, reread = fields.annotation_file_uris, True
    if fields.auth_kind is not None:
        token = dataset.sas_token if fields.sas_token is None else fields.sas_token
        if fields.auth_kind == VisionDataset.AuthKind.SAS and not token:
            raise invalid_argument("authentication.sasToken is required when authentication.kind is sas.")
        if (fields.auth_kind, token) != (dataset.auth_kind, dataset.sas_token):
            dataset.auth_kind, dataset.sas_token, reread = fields.auth_kind, token, True
    if fields.custom_properties is not None:
        dataset.custom_properties = fields.custom_properties
    if reread:
        _apply_read(dataset)
    dataset.updated = timezone.now()
    dataset.etag = new_etag()
    # Compare-and-set on the eTag that was read, so two concurrent updates cannot both win.
    fields_saved = [
        "annotation_file_uris",
        "auth_kind",
        "sas_token",
        "custom_properties",
        "updated",
        "etag",
        "image_count",
        "annotation_count",
        "category_names",
    ]
    updated = VisionDataset.objects.filter(pk=dataset.pk, etag=original_etag).update(
        **{field: getattr(dataset, field) for field in fields_saved}
    )
    if not updated:
        raise VisionApiError(
            412, "PreconditionFailed", "The dataset changed while it was being updated; try again."
        )
    return dataset


def dataset_delete(*, dataset: VisionDataset) -> None:
    """Models and evaluations keep the name; a later run that needs it fails with datasetNotFound."""
    dataset.delete()
