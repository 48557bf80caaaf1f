"""Azure ML AutoML files of an export, their validation (at the export's end or on demand), the
workspace's remembered datastore, and the commands that create the data assets and the job.

The export job (migrator.services.export) calls ``automl_write`` after the COCO files, from the same
manifest rows: the images were copied once. ``automl_validate`` is the job service of kind
``automl_validate``: one JSONL file already in storage, with the MLTable beside it.
"""

from __future__ import annotations

import re
import shlex
import tempfile
from collections.abc import Callable, Iterable, Iterator
from posixpath import dirname

from azureclient.retry import RetryPolicy, with_retries
from blobstore.base import BlobStore, BlobStoreError
from jobs.errors import JobError
from jobs.models import Job
from jobs.runner import JobContext
from migrator import automl
from migrator.automl_validation import Report, validate_automl, validate_mltable
from migrator.models import AutomlSettings
from workspaces.models import Workspace
from workspaces.storage import storage_for

MAX_VALIDATE_BYTES = 256 * 2**20
HTTPS_NOTE = (
    "image_url holds the blobs' own URLs, because no datastore was given: AutoML reads images only "
    "through an Azure ML datastore. Register a datastore on this container, give its URI prefix in "
    "the export form and export again (the images are not copied twice)."
)


def datastore_remembered(workspace: Workspace) -> str:
    row = AutomlSettings.objects.filter(workspace=workspace).first()
    return row.datastore_uri if row else ""


def datastore_remember(*, workspace: Workspace, uri: str) -> None:
    AutomlSettings.objects.update_or_create(workspace=workspace, defaults={"datastore_uri": uri})


def present_in(store: BlobStore) -> Callable[[Iterable[str]], set[str]]:
    """``exists`` for the validator: which paths exist, from one listing of their common folder."""

    def exists(paths: Iterable[str]) -> set[str]:
        wanted = set(paths)
        folders = {dirname(p) for p in wanted}
        common = folders.pop() if len(folders) == 1 else _common_folder(wanted)
        prefix = f"{common}/" if common else ""
        try:
            listed = {blob.name for blob in store.list(prefix=prefix)}
        except BlobStoreError:
            listed = set()
        return wanted & listed

    return exists


def _common_folder(paths: set[str]) -> str:
    first, last = min(paths), max(paths)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n].rpartition("/")[0]


def _chunks(path: str) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        yield from handle


def automl_write(
    *,
    store: BlobStore,
    policy: RetryPolicy,
    rows: Callable[[], Iterable[automl.Row]],
    folder: str,
    suffix: str,
    project_name: str,
    kind: str,
    classification_type: str,
    tags: list,
    params: dict,
) -> dict:
    """Write the AutoML JSONL and MLTable files of an export, validate them, and say what it did."""
    task = automl.task_for(kind, classification_type)
    datastore = automl.datastore_parse(params.get("datastore") or "")
    share = max(0, min(50, int(params.get("validation_share", 20) or 0))) / 100
    negative_ids = {t.id for t in tags if t.type == "Negative"}
    plan = automl.automl_plan(
        task,
        multilabel=params.get("multilabel", "skip"),
        negative=params.get("negative", "skip"),
        negative_tag_ids=negative_ids,
    )
    split = automl.Split(share, {t.id: t.image_count for t in tags})
    names = {t.id: t.name for t in tags}
    base = f"{folder}automl{suffix}/"
    files = {
        "train_jsonl": f"{base}train/train_annotations.jsonl",
        "train_mltable": f"{base}train/MLTable",
    }
    if share > 0:
        files |= {
            "validation_jsonl": f"{base}validation/validation_annotations.jsonl",
            "validation_mltable": f"{base}validation/MLTable",
        }
    url_for = datastore.uri if datastore else store.url
    with (
        tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", newline="\n") as train,
        tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", newline="\n") as validation,
    ):
        written = automl.write_automl(
            train,
            validation if share > 0 else None,
            task=task,
            rows=rows,
            names=names,
            plan=plan,
            split=split,
            url_for=url_for,
        )
        train.flush()
        validation.flush()
        parts = [("train", train.name)] + ([("validation", validation.name)] if share > 0 else [])
        reports = {}
        exists = present_in(store)
        expected = (
            (datastore.subscription, datastore.resource_group, datastore.workspace, datastore.datastore)
            if datastore
            else None
        )
        for part, path in parts:
            jsonl = files[f"{part}_jsonl"]
            with_retries(lambda n=jsonl, p=path: store.put_file(n, p, "application/jsonl"), policy)
            text = automl.mltable_text(jsonl.rsplit("/", 1)[1])
            with_retries(
                lambda n=files[f"{part}_mltable"], t=text: store.put(n, t.encode(), "text/yaml"), policy
            )
            report = validate_automl(
                _chunks(path),
                task=task,
                purpose="training" if part == "train" else "validation",
                exists=exists,
                datastore=expected,
                blob_base=store.url(""),
            )
            validate_mltable(report, text, jsonl.rsplit("/", 1)[1], where=files[f"{part}_mltable"])
            reports[part] = report
    _vocabulary(reports)
    warnings = []
    if not datastore:
        warnings.append(HTTPS_NOTE)
    if written.encoded_paths:
        warnings.append(
            f"{written.encoded_paths} image paths hold characters a URI encodes (spaces, brackets…); "
            "they are percent-encoded in image_url. A folder of letters, digits, - and _ avoids that."
        )
    section = {
        "task": task,
        "task_label": automl.TASK_LABELS[task],
        "files": files,
        "shown": {key: name.removeprefix(folder) for key, name in files.items()},
        "folders": {"train": f"{base}train/", **({"validation": f"{base}validation/"} if share else {})},
        "datastore": datastore.prefix if datastore else "",
        "image_urls": "datastore" if datastore else "blob",
        "split": {"validation_share": round(share * 100), "seed": automl.SEED, "stratified_by": "tag"},
        "images": {"train": written.train, "validation": written.validation},
        "per_label": {part: dict(sorted(c.items())) for part, c in written.per_label.items()},
        "left_out": dict(written.left_out),
        "left_out_images": dict(written.listed),
        "warnings": warnings,
        "validation": {part: report.as_dict() for part, report in reports.items()},
    }
    section["ok"] = all(r.ok for r in reports.values())
    section["snippet"] = snippet(section, project_name=project_name)
    return section


def _vocabulary(reports: dict[str, Report]) -> None:
    """Validation labels must be labels the training file has."""
    if "validation" not in reports:
        return
    unknown = set(reports["validation"].per_category) - set(reports["train"].per_category)
    for name in sorted(unknown):
        reports["validation"].add(
            "label_not_in_training",
            "error",
            "A label of the validation file is not in the training file.",
            "Lower the validation share or add images of this label.",
            name,
        )


# --- the commands a team runs next ---------------------------------------------------------------


def _slug(text: str, fallback: str = "visionport-export") -> str:
    """An Azure ML asset or experiment name: letters, digits, - and _, starting with a letter or digit."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", str(text).lower()).strip("-_")[:200]
    return slug or fallback


SDK_BUILDERS = {
    "image_classification": "image_classification",
    "image_classification_multilabel": "image_classification_multilabel",
    "image_object_detection": "image_object_detection",
}


def snippet(section: dict, *, project_name: str) -> dict:
    """The Azure CLI lines that create the data assets and the SDK v2 code that starts the AutoML
    job, with the user's names. Shell words go through shlex.quote, Python strings through repr():
    a project name cannot break out of either; the page escapes the HTML."""
    datastore = automl.datastore_parse(section.get("datastore") or "")
    asset = _slug(project_name)
    folders = section["folders"]
    if datastore:
        sub, rg, ws = datastore.subscription, datastore.resource_group, datastore.workspace
        paths = {part: datastore.uri(folder) for part, folder in folders.items()}
    else:
        sub, rg, ws = "<subscription id>", "<resource group>", "<workspace>"
        paths = {part: f"azureml://datastores/<datastore>/paths/{folder}" for part, folder in folders.items()}
    q = shlex.quote
    cli = [
        f"az ml data create --subscription {q(sub)} --resource-group {q(rg)} --workspace-name {q(ws)} \\\n"
        f"  --name {q(f'{asset}-{part}')} --version 1 --type mltable \\\n"
        f"  --path {q(path)}"
        for part, path in paths.items()
    ]
    builder = SDK_BUILDERS[section["task"]]
    validation = "validation" in paths
    python = "\n".join(
        [
            "from azure.ai.ml import Input, MLClient, automl",
            "from azure.ai.ml.constants import AssetTypes",
            "from azure.identity import DefaultAzureCredential",
            "",
            "ml_client = MLClient(",
            "    DefaultAzureCredential(),",
            f"    subscription_id={sub!r},",
            f"    resource_group_name={rg!r},",
            f"    workspace_name={ws!r},",
            ")",
            f"training_data = Input(type=AssetTypes.MLTABLE, path={f'azureml:{asset}-train:1'!r})",
            *(
                [
                    f"validation_data = Input(type=AssetTypes.MLTABLE, path={f'azureml:{asset}-validation:1'!r})"
                ]
                if validation
                else []
            ),
            f"job = automl.{builder}(",
            '    compute="gpu-cluster",  # your GPU compute cluster (NC or ND series)',
            f"    experiment_name={_slug(project_name) + '-automl'!r},",
            "    training_data=training_data,",
            *(["    validation_data=validation_data,"] if validation else []),
            '    target_column_name="label",',
            f"    tags={{'exported_by': 'Visionport', 'project': {str(project_name)!r}}},",
            ")",
            "job.set_limits(timeout_minutes=120, max_trials=10, max_concurrent_trials=2)",
            "returned_job = ml_client.jobs.create_or_update(job)",
            "print(returned_job.studio_url)",
        ]
    )
    return {"cli": "\n\n".join(cli), "python": python, "placeholders": not datastore}


# --- on demand: a file already in storage --------------------------------------------------------


def automl_validate(job: Job, ctx: JobContext) -> dict:
    """Job service for kind ``automl_validate``: a JSONL file in the workspace's storage, and the
    MLTable in its folder."""
    params = job.params
    path = params["path"]
    task = params.get("task") or None
    _, store = storage_for(job.workspace)
    ctx.progress(0, 2, f"Reading {path}…")
    try:
        size = store.properties(path).size
        if size > MAX_VALIDATE_BYTES:
            raise JobError(
                "automl_file_too_large",
                f"{path} is {size / 2**20:.0f} MiB; files up to {MAX_VALIDATE_BYTES // 2**20} MiB are "
                "validated here. Split it, or validate it at the end of an export.",
            )
        data = store.get(path)
    except BlobStoreError as exc:
        raise JobError(
            "automl_file_missing",
            f"{path} could not be read from the workspace's storage: {exc.message}",
        ) from exc
    datastore = automl.datastore_parse(params.get("datastore") or "")
    report = validate_automl(
        data,
        task=task,
        purpose=params.get("purpose", "training"),
        exists=present_in(store),
        datastore=(
            (datastore.subscription, datastore.resource_group, datastore.workspace, datastore.datastore)
            if datastore
            else None
        ),
        blob_base=store.url(""),
    )
    ctx.progress(1, 2, "Lines checked; reading the MLTable…")
    folder = path.rpartition("/")[0]
    mltable = f"{folder}/MLTable" if folder else "MLTable"
    try:
        text = store.get(mltable)
    except BlobStoreError:
        report.add(
            "mltable_missing",
            "error",
            "There is no MLTable file beside the JSONL file.",
            "Put an MLTable file in the same folder (Visionport's exports write one).",
            mltable,
        )
    else:
        validate_mltable(report, text, path.rsplit("/", 1)[-1], where=mltable)
    ctx.progress(2, 2, "Done.")
    return {"path": path, "mltable": mltable, "validation": report.as_dict()}
