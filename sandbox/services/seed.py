"""Demo and benchmark projects for the sandbox, made of generated shape pictures (sandbox.shapes).

``seed_demo()`` creates three small projects a model can learn from; ``seed_benchmark()`` creates
one large project quickly by reusing a pool of 64 pictures (stored once, as every distinct
content is) and inserting rows in bulk. Both are deterministic (fixed seeds) and idempotent: a
project whose name exists is left alone unless ``reset`` is given.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from sandbox.domains import GENERAL_CLASSIFICATION, GENERAL_DETECTION
from sandbox.imaging import CheckedImage, image_check
from sandbox.models import SandboxImage, SandboxImageTag, SandboxProject, SandboxRegion, SandboxTag
from sandbox.selectors import tags_with_counts
from sandbox.services.bulk import RowWriter, datetime_adapter, uuid_maker
from sandbox.services.projects import project_delete
from sandbox.shapes import SHAPES, Picture, picture_draw
from sandbox.storage import image_blobs_put, sandbox_store

MULTICLASS = "Shapes (multiclass)"
MULTILABEL = "Shapes (multilabel)"
DETECTOR = "Shapes (detector)"
DEMO_NAMES = (MULTICLASS, MULTILABEL, DETECTOR)
NEGATIVE = "Negative"
SEED = 20240611
POOL_SIZE = 64
CHUNK = 5000

Log = Callable[[str], None]


@dataclass
class SeedReport:
    name: str
    project_id: str
    created: bool
    images: int = 0
    tagged: int = 0
    untagged: int = 0
    regions: int = 0
    tags: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        state = "created" if self.created else "exists, left as is"
        tags = ", ".join(f"{name} {count}" for name, count in self.tags.items())
        boxes = f", {self.regions} regions" if self.regions else ""
        return (
            f"{self.name} ({self.project_id}): {state}; {self.images} images ({self.tagged} tagged, "
            f"{self.untagged} untagged{boxes}); tags: {tags}"
        )


@dataclass(frozen=True)
class Planned:
    """One image to insert: its stored content, tag names and (tag name, shape) regions."""

    checked: CheckedImage
    tags: tuple[str, ...] = ()
    boxes: tuple[tuple[str, float, float, float, float], ...] = ()


def _checked(picture: Picture) -> CheckedImage:
    checked = image_check(picture.data)
    image_blobs_put(checked, sandbox_store())
    return checked


def _with_boxes(picture: Picture) -> Planned:
    return Planned(
        _checked(picture),
        tuple(picture.kinds),
        tuple((s.kind, s.left, s.top, s.width, s.height) for s in picture.shapes),
    )


def _report(project: SandboxProject, created: bool) -> SeedReport:
    images = SandboxImage.objects.filter(project=project)
    tags = tags_with_counts(project)
    tagged = images.filter(tagged=True).count()
    untagged = images.filter(tagged=False).count()
    return SeedReport(
        name=project.name,
        project_id=str(project.id),
        created=created,
        images=tagged + untagged,
        tagged=tagged,
        untagged=untagged,
        regions=SandboxRegion.objects.filter(tag__in=[t for t, _ in tags]).count(),
        tags={t.name: count for t, count in tags},
    )


def _insert(
    project: SandboxProject, tags: dict[str, SandboxTag], planned: Iterable[Planned], start: datetime
) -> None:
    """Insert images with their tags and regions, CHUNK images at a time, as raw rows.

    Creation instants are one microsecond apart, in plan order, so Newest/Oldest pages are stable.
    """
    images = RowWriter(
        SandboxImage,
        [
            "id",
            "project",
            "created",
            "width",
            "height",
            "sha256",
            "blob_name",
            "content_type",
            "tagged",
            "metadata",
        ],
    )
    links = RowWriter(SandboxImageTag, ["image", "tag", "created"])
    regions = RowWriter(SandboxRegion, ["id", "image", "tag", "left", "top", "width", "height", "created"])
    project_id = images.prep("project", project.pk)
    tag_ids = {name: links.prep("tag", tag.pk) for name, tag in tags.items()}
    metadata = images.prep("metadata", {})
    writers = (images, links, regions)
    new_id, datetime_prep = uuid_maker(), datetime_adapter()
    for index, plan in enumerate(planned):
        c = plan.checked
        shared = (c.width, c.height, c.sha256, c.blob_name, c.content_type, bool(plan.tags))
        image_id = new_id()
        instant = start + timedelta(microseconds=index)
        created = datetime_prep(instant)
        images.add((image_id, project_id, created, *shared, metadata))
        for name in plan.tags:
            links.add((image_id, tag_ids[name], created))
        for k, (name, left, top, width, height) in enumerate(plan.boxes):
            when = datetime_prep(instant + timedelta(microseconds=k)) if k else created
            regions.add((new_id(), image_id, tag_ids[name], left, top, width, height, when))
        if len(images.rows) >= CHUNK:
            for writer in writers:
                writer.flush()
    for writer in writers:
        writer.flush()


def _project(
    name: str, domain_id: str, classification_type: str, tag_names: Sequence[str]
) -> tuple[SandboxProject, dict[str, SandboxTag]]:
    project = SandboxProject.objects.create(
        name=name,
        domain_id=domain_id,
        classification_type=classification_type,
        description="Generated by manage.py seed_sandbox.",
    )
    now = timezone.now()
    tags = {
        tag: SandboxTag.objects.create(
            project=project,
            name=tag,
            created=now + timedelta(microseconds=k),
            type=SandboxTag.Type.NEGATIVE if tag == NEGATIVE else SandboxTag.Type.REGULAR,
        )
        for k, tag in enumerate(tag_names)
    }
    return project, tags


def _existing(name: str, reset: bool) -> SandboxProject | None:
    """The project to leave alone, after deleting every project of that name when resetting."""
    projects = list(SandboxProject.objects.filter(name=name).order_by("created"))
    if reset:
        for project in projects:
            project_delete(project)
        return None
    return projects[0] if projects else None


def _multiclass(rng: random.Random) -> list[Planned]:
    """4 classes x 30 pictures, 10 untagged pictures of shapes, 8 Negative pictures with no shape."""
    plan: list[tuple[str, str]] = [(kind, kind) for kind in SHAPES for _ in range(30)]
    plan += [("", rng.choice(SHAPES)) for _ in range(10)] + [(NEGATIVE, "") for _ in range(8)]
    rng.shuffle(plan)
    out = []
    for tag, kind in plan:
        picture = picture_draw(rng, [kind] if kind else [], scale=(0.2, 0.42))
        out.append(Planned(_checked(picture), (tag,) if tag else ()))
    return out


def _multilabel(rng: random.Random) -> list[Planned]:
    """100 pictures of 1-3 shapes, tagged with every kind present (each kind in 25+ pictures)."""
    out = []
    for index in range(100):
        kinds = [SHAPES[index % len(SHAPES)]] + [rng.choice(SHAPES) for _ in range(rng.randint(0, 2))]
        rng.shuffle(kinds)
        picture = picture_draw(rng, kinds, scale=(0.12, 0.24))
        out.append(Planned(_checked(picture), tuple(picture.kinds)))
    return out


def _detector(rng: random.Random) -> list[Planned]:
    """71 pictures of 1-5 shapes with a region per shape, and 5 pictures of shapes left unlabelled."""
    out = []
    for index in range(76):
        picture = picture_draw(rng, [rng.choice(SHAPES) for _ in range(rng.randint(1, 5))], scale=(0.08, 0.2))
        out.append(_with_boxes(picture) if index % 13 != 12 else Planned(_checked(picture)))
    return out


DEMOS: tuple[tuple[str, str, str, tuple[str, ...], Callable[[random.Random], list[Planned]]], ...] = (
    (MULTICLASS, GENERAL_CLASSIFICATION, "Multiclass", (*SHAPES, NEGATIVE), _multiclass),
    (MULTILABEL, GENERAL_CLASSIFICATION, "Multilabel", SHAPES, _multilabel),
    (DETECTOR, GENERAL_DETECTION, "", SHAPES, _detector),
)


def seed_demo(*, reset: bool = False, log: Log | None = None) -> list[SeedReport]:
    """The three demo projects (created, or reported as they are)."""
    reports = []
    for name, domain_id, classification_type, tag_names, build in DEMOS:
        existing = _existing(name, reset)
        if existing is not None:
            reports.append(_report(existing, created=False))
            continue
        if log:
            log(f"Drawing {name}…")
        planned = build(random.Random(f"{SEED}:{name}"))  # noqa: S311 (reproducible pictures)
        with transaction.atomic():
            project, tags = _project(name, domain_id, classification_type, tag_names)
            _insert(project, tags, planned, timezone.now())
        reports.append(_report(project, created=True))
    return reports


def _sqlite_cache() -> None:
    """A 256 MB page cache for this connection: inserts into random-UUID indexes stay in memory."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")


def _pool(detector: bool) -> list[Planned]:
    rng = random.Random(f"{SEED}:benchmark:{'detector' if detector else 'classifier'}")  # noqa: S311 (reproducible pictures)
    pool = []
    for index in range(POOL_SIZE):
        if detector:
            picture = picture_draw(
                rng, [rng.choice(SHAPES) for _ in range(rng.randint(1, 5))], scale=(0.08, 0.2)
            )
            pool.append(_with_boxes(picture))
        else:
            kind = SHAPES[index % len(SHAPES)]
            pool.append(Planned(_checked(picture_draw(rng, [kind], scale=(0.2, 0.42))), (kind,)))
    return pool


def seed_benchmark(
    *, name: str, images: int, detector: bool, reset: bool = False, log: Log | None = None
) -> SeedReport:
    """A project of ``images`` images cycling through a pool of 64 stored pictures."""
    if images < 1:
        raise ValueError("The number of images must be at least 1.")
    existing = _existing(name, reset)
    if existing is not None:
        return _report(existing, created=False)
    if log:
        log(f"Drawing {POOL_SIZE} pictures for {name}…")
    pool = _pool(detector)
    _sqlite_cache()
    start = timezone.now() - timedelta(microseconds=images)  # the last image is created "now"
    with transaction.atomic():
        project, tags = _project(
            name,
            GENERAL_DETECTION if detector else GENERAL_CLASSIFICATION,
            "" if detector else "Multiclass",
            SHAPES,
        )
        if log:
            log(f"Inserting {images} images…")
        _insert(project, tags, (pool[i % POOL_SIZE] for i in range(images)), start)
    return _report(project, created=True)
