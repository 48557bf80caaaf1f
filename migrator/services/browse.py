"""Reading a Custom Vision resource for the project browser (projects, tags, samples, warnings)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from azureclient.retry import RetryPolicy
from migrator.cv import cv_call, cv_client, cv_connection
from workspaces.models import Workspace

# Target limits (Image Analysis 4.0 model customization, docs/wire-formats.md §2.6 training quotas).
MIN_IMAGES_PER_TAG = {"Classification": 2, "ObjectDetection": 1}
MIN_DIM, MAX_DIM = 10, 10240
SCAN_PAGES = 10  # size warnings look at up to 2,560 images


@dataclass
class ProjectSummary:
    id: str
    name: str
    description: str
    kind: str
    classification_type: str
    domain: str
    tagged: int
    untagged: int
    tag_count: int
    last_modified: object


@dataclass
class ProjectDetail:
    summary: ProjectSummary
    tags: list = field(default_factory=list)
    samples: list = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    max_tag_count: int = 1


class Browser:
    def __init__(self, workspace: Workspace) -> None:
        self.connection = cv_connection(workspace)
        self.client = cv_client(self.connection, timeout=20)
        self.policy = RetryPolicy(attempts=4)

    def call(self, fn):
        return cv_call(fn, self.policy, self.connection.endpoint)

    def domains(self) -> dict[str, object]:
        return {d.id: d for d in self.call(self.client.get_domains)}

    def _summary(self, project: object, domains: dict) -> ProjectSummary:
        pid = project.id
        domain = domains.get(project.settings.domain_id)
        tagged = self.call(lambda: self.client.get_tagged_image_count(pid))
        untagged = self.call(lambda: self.client.get_untagged_image_count(pid))
        tags = self.call(lambda: self.client.get_tags(pid))
        kind = domain.type if domain else "Unknown"
        return ProjectSummary(
            id=pid,
            name=project.name,
            description=project.description or "",
            kind=kind,
            classification_type=(project.settings.classification_type or "")
            if kind == "Classification"
            else "",
            domain=domain.name if domain else project.settings.domain_id,
            tagged=tagged,
            untagged=untagged,
            tag_count=len(tags),
            last_modified=project.last_modified,
        )

    def projects(self) -> list[ProjectSummary]:
        domains = self.domains()
        projects = self.call(self.client.get_projects)
        with ThreadPoolExecutor(8) as pool:
            return sorted(
                pool.map(lambda p: self._summary(p, domains), projects), key=lambda s: s.name.lower()
            )

    def project(self, project_id: str) -> ProjectDetail:
        domains = self.domains()
        project = self.call(lambda: self.client.get_project(project_id))
        detail = ProjectDetail(self._summary(project, domains))
        kind = detail.summary.kind
        detail.tags = sorted(
            self.call(lambda: self.client.get_tags(project_id)), key=lambda t: -t.image_count
        )
        detail.max_tag_count = max([t.image_count for t in detail.tags] or [1]) or 1
        detail.samples = self.call(
            lambda: self.client.get_images(project_id, tagging_status="Tagged", take=12)
        )
        detail.warnings = self._warnings(project_id, detail, kind)
        return detail

    def _warnings(self, project_id: str, detail: ProjectDetail, kind: str) -> list[str]:
        s = detail.summary
        warnings = []
        if s.classification_type == "Multilabel":
            warnings.append(
                "This is a multilabel project; Image Analysis model customization trains multiclass "
                "classifiers only. Choose below what happens to images with several tags."
            )
        negative = [t for t in detail.tags if t.type == "Negative"]
        if negative:
            warnings.append(
                f"{negative[0].image_count} images carry the Negative tag; the target has no negative "
                "class. By default they are copied but left out of the annotation file."
            )
        if s.untagged:
            warnings.append(
                f"{s.untagged} image{'s are' if s.untagged > 1 else ' is'} untagged: they are copied "
                "but cannot be annotated."
            )
        minimum = MIN_IMAGES_PER_TAG.get(kind, 1)
        few = [t.name for t in detail.tags if t.type != "Negative" and t.image_count < minimum]
        if few:
            warnings.append(
                f"{len(few)} tag{'s have' if len(few) > 1 else ' has'} fewer than {minimum} images, "
                f"the target's minimum: {', '.join(few[:8])}."
            )
        small = large = scanned = 0
        for page in range(SCAN_PAGES):
            images = self.call(
                lambda p=page: self.client.get_images(project_id, take=256, skip=p * 256, order_by="Oldest")
            )
            scanned += len(images)
            small += sum(1 for i in images if min(i.width, i.height) < MIN_DIM)
            large += sum(1 for i in images if max(i.width, i.height) > MAX_DIM)
            if len(images) < 256:
                break
        where = "" if scanned < SCAN_PAGES * 256 else f" (among the first {scanned} images)"
        if small:
            warnings.append(f"{small} images are smaller than {MIN_DIM} px on a side{where}.")
        if large:
            warnings.append(f"{large} images are larger than {MAX_DIM} px on a side{where}.")
        return warnings
