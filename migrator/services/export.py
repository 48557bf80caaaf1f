"""The export job: every image of a Custom Vision project, and its labels, into COCO files in blob storage.

Fixes over the reference ``export_data`` (docs/wire-formats.md §3.3): listing in a stable order
(``Oldest``) with pages of 256 and de-duplication; bounded thread concurrency (works inside daemonic
Celery workers); server-side copy where the store supports it, each copy polled to a final status
and its size verified, else streaming with a length check; retries with backoff and jitter for every
call; expired source URLs re-fetched; blob names with the right extension; a per-image checkpoint
(migrator.models.ExportItem) so a retried job resumes; annotation files written only after every
copy is verified, never silently skipped, with clamped boxes and dense ids.
"""

from __future__ import annotations

import contextlib
import json
import queue
import tempfile
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

import urllib3
from django.conf import settings
from django.db import connection, transaction

from azureclient.retry import HTTPStatusError, RetryPolicy, with_retries
from blobstore.base import BlobStoreError, CopyStatus
from jobs.errors import JobError
from jobs.models import Job
from jobs.runner import JobContext
from migrator import automl, coco
from migrator.cv import cv_call, cv_client, cv_connection
from migrator.models import ExportItem
from migrator.services.fetch import (
    NotAnImage,
    SourceExpired,
    download,
    http_pool,
    named_type,
    probe,
    sniff,
)
from outbound.reader import origin
from workspaces.models import Connection
from workspaces.storage import storage_for

PAGE = 256
RECENT_PAGES = 8
CONCURRENCY = 16
# Downloads at once from this server's own web (the sandbox's images under /blobs/): the web has
# 8 threads (Procfile), and 16 export threads reading from it left pages and predictions waiting
# 8 s behind them in the soak. Three keep the copy going and most web threads free.
SELF_SOURCE_LIMIT = 3
COPY_DEADLINE_SECONDS = 300
_END = object()  # the lister's "no more pages"
UNREACHABLE_SOURCE = {"CannotVerifyCopySource", "BlobNotFound", "NotSupported", "HTTP404"}


@dataclass
class CopyResult:
    image_id: str
    blob_name: str = ""
    size: int | None = None
    error: str = ""


def default_folder(project_name: str, project_id: str) -> str:
    return f"{project_name}_{project_id}/"


def _labels(image: object) -> list[list]:
    regions = getattr(image, "regions", None) or []
    if regions:
        return [[r.tag_id, r.left, r.top, r.width, r.height] for r in regions]
    return [[t.tag_id] for t in (getattr(image, "tags", None) or [])]


class Exporter:
    """One run of an export job. The main thread lists and records; worker threads copy."""

    def __init__(self, job: Job, ctx: JobContext) -> None:
        params = job.params
        self.job, self.ctx = job, ctx
        self.project_id = params["project_id"]
        self.cv = cv_connection(job.workspace)
        self.client = cv_client(self.cv)
        self.storage, self.store = storage_for(job.workspace)
        self.folder = params.get("folder") or ""
        self.destination = f"{self.storage.container}/{self.folder}"
        self.policy = RetryPolicy()
        self.sources = http_pool(CONCURRENCY * 2)
        self.own_web = threading.BoundedSemaphore(SELF_SOURCE_LIMIT)
        self.own_origin = origin(settings.VISIONPORT_PUBLIC_URL)
        self.refresh_lock = threading.Lock()
        self.server_copy = self.store.server_copy
        self.ctx_note = ""
        self.counts: Counter = Counter()
        self.timings: dict[str, float] = {}

    # --- Custom Vision calls, each retried, each failure explained ---------------------------
    def call(self, fn):
        return cv_call(fn, self.policy, self.cv.endpoint)

    def fresh_url(self, image_id: str) -> str:
        """A new signed URL for one image (the one we had expired)."""
        with self.refresh_lock:
            images = self.call(lambda: self.client.get_images_by_ids(self.project_id, image_ids=[image_id]))
            self.counts["urls_refreshed"] += 1
        if not images:
            raise SourceExpired("the image was deleted from the project during the export")
        return images[0].original_image_uri

    # --- one image -----------------------------------------------------------------------------
    def copy_one(self, image_id: str, url: str) -> CopyResult:
        for attempt in range(3):
            try:
                return self._copy(image_id, url)
            except SourceExpired as exc:
                if attempt == 2:
                    return CopyResult(image_id, error=f"source URL keeps failing: {exc}")
                url = self.fresh_url(image_id)
            except NotAnImage as exc:
                return CopyResult(image_id, error=str(exc))
            except (BlobStoreError, HTTPStatusError, urllib3.exceptions.HTTPError, OSError) as exc:
                return CopyResult(image_id, error=f"{type(exc).__name__}: {exc}"[:400])
        raise AssertionError("unreachable")

    def _copy(self, image_id: str, url: str) -> CopyResult:
        if self.server_copy:
            named = named_type(url)
            if named:  # the fast path: the source names its type, so Copy Blob is the only request
                size, ext = None, named[0]
            else:
                size, ext, _ = with_retries(lambda: probe(self.sources, url), self.policy)
            name = f"{self.folder}images/{image_id}{ext}"
            try:
                status = with_retries(lambda: self.store.start_copy(name, url), self.policy)
            except BlobStoreError as exc:
                if exc.code not in UNREACHABLE_SOURCE:
                    raise
                if named:
                    # No probe was made: ask the source itself. An expired URL raises SourceExpired
                    # here (copy_one fetches a fresh one); one that answers is unreachable for the service.
                    with_retries(lambda: probe(self.sources, url), self.policy)
                # The storage service cannot read the source (a private network, or Azurite,
                # which copies only from itself): stream the rest of the export through us.
                self.server_copy = False
                self.ctx_note = f"Server-side copy not possible ({exc.code}); streaming instead."
                return self._copy(image_id, url)
            deadline = time.monotonic() + COPY_DEADLINE_SECONDS
            while status == CopyStatus.PENDING:
                if time.monotonic() > deadline:
                    return CopyResult(image_id, name, error="server-side copy still pending after 5 minutes")
                time.sleep(0.5)
                status, description = with_retries(lambda: self.store.copy_status(name), self.policy)
                if status == CopyStatus.FAILED:
                    return CopyResult(image_id, name, error=f"server-side copy failed: {description}")
            if status != CopyStatus.SUCCESS:
                return CopyResult(image_id, name, error=f"server-side copy ended {status}")
            # "success" is the storage service's own verification of the copy.
            return CopyResult(image_id, name, size)
        with self.own_web if origin(url) == self.own_origin else contextlib.nullcontext():
            data = with_retries(lambda: download(self.sources, url), self.policy)
        ext, content_type = sniff(data[:32])
        name = f"{self.folder}images/{image_id}{ext}"
        with_retries(lambda: self.store.put(name, data, content_type), self.policy)
        return CopyResult(image_id, name, len(data))

    # --- the run -------------------------------------------------------------------------------
    def run(self) -> dict:
        started = time.monotonic()
        project = self.call(lambda: self.client.get_project(self.project_id))
        domain = self.call(lambda: self.client.get_domain(project.settings.domain_id))
        tags = self.call(lambda: self.client.get_tags(self.project_id))
        total = self.call(lambda: self.client.get_image_count(self.project_id))
        self.kind = domain.type
        if not self.store.container_exists():
            if self.storage.storage_auth != Connection.StorageAuth.LOCAL:
                raise JobError(
                    "container_not_found",
                    f"The container {self.storage.container} does not exist in the storage account. "
                    "Create it, or pick another container in Settings.",
                )
            self.store.create_container()
        self.ctx.log(
            f"{project.name}: {domain.name} ({self.kind}), {len(tags)} tags, {total} images "
            f"to {self.destination}."
        )
        self.copy_all(total)
        if self.ctx_note:
            self.ctx.log(self.ctx_note, "warning")
        self.timings["copy_seconds"] = round(time.monotonic() - started, 2)
        failed = ExportItem.objects.filter(last_job=self.job.pk, status=ExportItem.Status.FAILED)
        if failed.exists():
            report = self.report(project, tags, None, {})
            raise JobError(
                "images_failed",
                f"{failed.count()} of {self.counts['listed']} images could not be copied; no annotation file "
                "was written. See the report for the reasons, then Retry: the images already copied are kept.",
                detail="\n".join(f"{i.image_id}: {i.error}" for i in failed[:50]),
                result=report,
            )
        write_started = time.monotonic()
        files, per_category, plan = self.write_annotations(project, tags)
        self.timings["write_seconds"] = round(time.monotonic() - write_started, 2)
        self.timings["total_seconds"] = round(time.monotonic() - started, 2)
        report = self.report(project, tags, plan, per_category, files)
        report_name = files["report"]
        self.store.put(report_name, json.dumps(report, indent=2).encode(), "application/json")
        return report

    def list_pages(self, pages: queue.Queue, stop: threading.Event) -> None:
        """Lister thread: pages of images in a stable order, ahead of the copies (never starves them)."""
        skip = 0
        try:
            while not stop.is_set():
                page = self.call(
                    lambda s=skip: self.client.get_images(
                        self.project_id, tagging_status="All", order_by="Oldest", take=PAGE, skip=s
                    )
                )
                skip += len(page)
                pages.put(page)
                if len(page) < PAGE:
                    break
            pages.put(_END)
        except BaseException as exc:
            pages.put(exc)

    def copy_all(self, total: int) -> None:
        # Ids of the last pages listed, to drop an image a page repeats (the listing order has ties).
        # Bounded, so memory stays flat; a repeat from further back is only copied again to the
        # same name, and its manifest row stays one row.
        recent: deque[set[str]] = deque(maxlen=RECENT_PAGES)
        last_report = 0.0
        begin = time.monotonic()
        pool = ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="export")
        pages: queue.Queue = queue.Queue(maxsize=2)
        stop = threading.Event()
        threading.Thread(
            target=self.list_pages, args=(pages, stop), name="export-lister", daemon=True
        ).start()
        pending: dict[Future, str] = {}
        listed_all = False
        try:
            while not listed_all or pending:
                # Keep a few pages' worth of copies queued; take the next page as soon as it is listed.
                if not listed_all and len(pending) <= CONCURRENCY * 8:
                    try:
                        page = pages.get(timeout=0.05 if pending else None)
                    except queue.Empty:
                        page = None
                    if page is _END:
                        listed_all = True
                    elif isinstance(page, BaseException):
                        raise page
                    elif page is not None:
                        fresh, ids = [], set()
                        for image in page:
                            if image.id not in ids and not any(image.id in earlier for earlier in recent):
                                ids.add(image.id)
                                fresh.append(image)
                        recent.append(ids)
                        for image_id, url in self.record_listing(fresh, start=self.counts["listed"]):
                            pending[pool.submit(self.copy_one, image_id, url)] = image_id
                        self.counts["listed"] += len(fresh)
                        continue
                if pending:
                    wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
                    time.sleep(0.05)  # let a few more finish: one checkpoint write per batch
                    done = [f for f in pending if f.done()]
                    self.record_results([f.result() for f in done])
                    for f in done:
                        pending.pop(f)
                if time.monotonic() - last_report > 0.5 or (listed_all and not pending):
                    self.tick(max(total, self.counts["listed"]), begin)
                    last_report = time.monotonic()
        finally:
            # Stop at once on cancel: queued copies are dropped, running ones finish their call.
            stop.set()
            with contextlib.suppress(queue.Empty):
                while True:  # unblock a lister waiting to hand over a page, so that it sees ``stop``
                    pages.get_nowait()
            pool.shutdown(wait=False, cancel_futures=True)

    def record_listing(self, images: list, start: int) -> Iterator[tuple[str, str]]:
        """Upsert the manifest rows of a page; yield (id, url) of the images still to copy."""
        ws = self.job.workspace_id
        by_id = {str(i.id): i for i in images}
        existing = {
            str(row.image_id): row
            for row in ExportItem.objects.filter(
                workspace_id=ws, destination=self.destination, image_id__in=list(by_id)
            )
        }
        new_rows, changed = [], []
        for offset, (image_id, image) in enumerate(by_id.items()):
            row = existing.get(image_id)
            if row is None:  # the common case (a first export): a plain row, no model instance
                new_rows.append((image_id, start + offset, image.width, image.height, _labels(image)))
                continue
            row.seq, row.width, row.height = start + offset, image.width, image.height
            row.labels, row.last_job = _labels(image), self.job.pk
            changed.append(row)
        with transaction.atomic():
            self._insert(new_rows)
            ExportItem.objects.bulk_update(
                changed, ["seq", "width", "height", "labels", "last_job"], batch_size=500
            )
        for image_id, image in by_id.items():
            row = existing.get(image_id)
            if row is not None and row.status == ExportItem.Status.COPIED:
                self.counts["already_copied"] += 1
                continue
            yield image_id, image.original_image_uri

    def _insert(self, rows: list[tuple]) -> None:
        """New manifest rows in one prepared INSERT run per row (``bulk_create`` built a model
        instance per row and cost the main thread more than the copies: docs/export.md)."""
        if not rows:
            return
        field = ExportItem._meta.get_field
        prep = {name: field(name) for name in ("image_id", "labels", "last_job")}
        columns = [
            field(name).column
            for name in (
                "workspace", "destination", "image_id", "seq", "width", "height", "labels",
                "last_job", "status", "blob_name", "error",
            )
        ]  # fmt: skip
        fixed = (field("workspace").get_db_prep_save(self.job.workspace_id, connection), self.destination)
        last_job = prep["last_job"].get_db_prep_save(self.job.pk, connection)
        pending = ExportItem.Status.PENDING.value
        values = [
            (
                *fixed,
                prep["image_id"].get_db_prep_save(uuid.UUID(image_id), connection),
                seq,
                width,
                height,
                prep["labels"].get_db_prep_save(labels, connection),
                last_job,
                pending,
                "",
                "",
            )
            for image_id, seq, width, height, labels in rows
        ]
        table = connection.ops.quote_name(ExportItem._meta.db_table)
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        marks = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)  # noqa: S608

    def record_results(self, results: list[CopyResult]) -> None:
        """Checkpoint a batch of finished copies in one statement."""
        field = ExportItem._meta.get_field
        image_id = field("image_id")
        fixed = (field("workspace").get_db_prep_save(self.job.workspace_id, connection), self.destination)
        rows = []
        for result in results:
            self.counts["failed" if result.error else "copied"] += 1
            status = ExportItem.Status.FAILED if result.error else ExportItem.Status.COPIED
            rows.append(
                (
                    status.value,
                    result.blob_name,
                    result.size,
                    result.error[:500],
                    *fixed,
                    image_id.get_db_prep_save(uuid.UUID(result.image_id), connection),
                )
            )
        # One prepared statement run per row, found by the manifest's unique key (no id kept per
        # image: memory stays flat). Django's bulk_update builds a CASE expression per row and
        # field, which cost more main-thread time than the copies themselves.
        table = connection.ops.quote_name(ExportItem._meta.db_table)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET status = %s, blob_name = %s, size = %s, error = %s "  # noqa: S608
                "WHERE workspace_id = %s AND destination = %s AND image_id = %s",
                rows,
            )

    def tick(self, total: int, begin: float) -> None:
        done = self.counts["copied"] + self.counts["already_copied"] + self.counts["failed"]
        elapsed = time.monotonic() - begin
        rate = self.counts["copied"] / elapsed if elapsed > 0 else 0
        eta = f" · about {int((total - done) / rate) + 1} s left" if rate and done < total else ""
        message = (
            f"{self.counts['listed']} listed, {self.counts['copied']} copied and verified"
            + (f", {self.counts['already_copied']} already there" if self.counts["already_copied"] else "")
            + (f", {self.counts['failed']} failed" if self.counts["failed"] else "")
            + (f", {self.policy.retries} retries" if self.policy.retries else "")
            + eta
        )
        self.ctx.progress(done, total, message)

    # --- annotation files ----------------------------------------------------------------------
    def annotation_names(self) -> dict[str, str]:
        existing = self.job.params.get("existing", "version")
        targets = self.job.params.get("flavours", ["vision", "standard"])
        suffix, n = "", 1

        def taken(suffix: str) -> bool:
            # An AutoML-only export versions on its own MLTable (no train.json is written then).
            coco_too = bool(set(targets) & {"vision", "standard"}) or "automl" not in targets
            if coco_too and self.store.exists(f"{self.folder}train{suffix}.json"):
                return True
            return "automl" in targets and self.store.exists(f"{self.folder}automl{suffix}/train/MLTable")

        while existing == "version" and taken(suffix):
            n += 1
            suffix = f".v{n}"
        return {
            "vision": f"{self.folder}train{suffix}.json",
            "standard": f"{self.folder}train{suffix}.standard.json",
            "report": f"{self.folder}export-report{suffix}.json",
            "suffix": suffix,
        }

    def write_annotations(self, project: object, tags: list) -> tuple[dict, dict, coco.Plan]:
        params = self.job.params
        plan = coco.Plan(
            self.kind,
            multilabel=params.get("multilabel", "skip"),
            negative=params.get("negative", "skip"),
            negative_tag_ids={t.id for t in tags if t.type == "Negative"},
        )
        rows = ExportItem.objects.filter(last_job=self.job.pk, status=ExportItem.Status.COPIED).order_by(
            "seq"
        )
        used: Counter = Counter()
        # Plain tuples, not model instances: these passes run once per image and file.
        for row_labels in rows.values_list("labels", flat=True).iterator(chunk_size=2000):  # decide, count
            for label in plan.labels_for(row_labels):
                used[label[0]] += 1
        categories = [(t.id, t.name) for t in tags if used[t.id]]
        quiet = coco.Plan(plan.kind, plan.multilabel, plan.negative, plan.negative_tag_ids)

        def images() -> Iterator[coco.Image]:
            fields = rows.values_list("width", "height", "blob_name", "labels")
            for width, height, blob_name, row_labels in fields.iterator(chunk_size=2000):
                labels = quiet.labels_for(row_labels)
                if labels:
                    yield coco.Image(width, height, blob_name, self.store.url(blob_name), labels)

        names = self.annotation_names()
        files: dict[str, str] = {"report": names["report"]}
        per_category: dict[str, dict] = {}
        targets = params.get("flavours", ["vision", "standard"])
        for flavour in [t for t in targets if t in ("vision", "standard")]:
            # Written to a temporary file and uploaded from it: memory stays flat however big the project.
            with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as out:
                counts = coco.write_coco(
                    out,
                    flavour=flavour,
                    kind=self.kind,
                    categories=categories,
                    images=images,
                    folder=self.folder,
                    description=f"{project.name} exported by Visionport",
                )
                out.flush()
                with_retries(
                    lambda n=names[flavour], p=out.name: self.store.put_file(n, p, "application/json"),
                    self.policy,
                )
            files[flavour] = names[flavour]
            per_category = dict(counts)
        if "automl" in targets:
            self.automl = self.write_automl(project, tags, rows, names["suffix"])
            files.update({f"automl_{k}": v for k, v in self.automl["files"].items()})
        return files, per_category, plan

    def write_automl(self, project: object, tags: list, rows, suffix: str) -> dict:
        """The AutoML JSONL and MLTable files, from the same manifest rows (no image copied again)."""
        from migrator.services.automl import automl_write

        def automl_rows():
            fields = rows.values_list("image_id", "width", "height", "blob_name", "labels")
            for image_id, width, height, blob_name, row_labels in fields.iterator(chunk_size=2000):
                yield automl.Row(str(image_id), width, height, blob_name, row_labels)

        settings_ = getattr(project, "settings", None)
        section = automl_write(
            store=self.store,
            policy=self.policy,
            rows=automl_rows,
            folder=self.folder,
            suffix=suffix,
            project_name=project.name,
            kind=self.kind,
            classification_type=getattr(settings_, "classification_type", "") or "",
            tags=tags,
            params=self.job.params,
        )
        for warning in section["warnings"]:
            self.ctx.log(warning, "warning")
        verdict = "valid" if section["ok"] else "not valid: see the AutoML report"
        self.ctx.log(
            f"AutoML ({section['task_label']}): {section['images']['train']} training and "
            f"{section['images']['validation']} validation images; {verdict}."
        )
        return section

    def report(
        self, project: object, tags: list, plan: coco.Plan | None, after: dict, files: dict | None = None
    ) -> dict:
        failed = ExportItem.objects.filter(last_job=self.job.pk, status=ExportItem.Status.FAILED)
        return {
            "project": {"id": self.project_id, "name": project.name, "kind": self.kind},
            "destination": self.destination,
            "files": files or {},
            "method": "server-side copy" if self.server_copy else "streamed through Visionport",
            "images": {
                "listed": self.counts["listed"],
                "copied": self.counts["copied"],
                "already_copied": self.counts["already_copied"],
                "failed": failed.count(),
                "urls_refreshed": self.counts["urls_refreshed"],
                "retries": self.policy.retries,
            },
            "categories_before": {t.name: t.image_count for t in tags},
            "annotations_after": after,
            "left_out_of_annotations": dict(plan.skipped) if plan else {},
            "clamped_boxes": plan.clamped_boxes if plan else 0,
            "dropped_boxes": plan.dropped_boxes if plan else 0,
            "failures": [{"image_id": str(i.image_id), "reason": i.error} for i in failed[:1000]],
            "options": {k: self.job.params.get(k) for k in ("multilabel", "negative", "existing", "flavours")}
            | {k: self.job.params[k] for k in ("validation_share", "datastore") if k in self.job.params},
            "timings": self.timings,
            **({"automl": self.automl} if getattr(self, "automl", None) else {}),
        }


def project_export(job: Job, ctx: JobContext) -> dict:
    """Job service for kind ``export_project``."""
    return Exporter(job, ctx).run()
