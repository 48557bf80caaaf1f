"""The sandbox's Custom Vision resource: projects, tags, images and their labels, and fault settings.

There is one sandbox resource per installation (one training key), so nothing here is scoped to a
workspace. Image bytes live in the sandbox blob store (sandbox.storage), named by content hash, so
a project of 100,000 images that reuse 64 pictures stores 64 files.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

RESIZED_MAX_SIDE = 1024


class SandboxProject(models.Model):
    class ClassificationType(models.TextChoices):
        MULTICLASS = "Multiclass"
        MULTILABEL = "Multilabel"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=256)
    description = models.TextField(blank=True, default="")
    domain_id = models.CharField(max_length=36)
    # Empty for object detection projects, which the real service answers with null.
    classification_type = models.CharField(
        max_length=16, blank=True, default="", choices=ClassificationType.choices
    )
    target_export_platforms = models.JSONField(default=list, blank=True)
    export_model_container_uri = models.CharField(max_length=1024, blank=True, default="")
    notification_queue_uri = models.CharField(max_length=1024, blank=True, default="")
    created = models.DateTimeField(default=timezone.now)
    last_modified = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["created", "id"], name="sandbox_project_created")]

    def __str__(self) -> str:
        return self.name


class SandboxTag(models.Model):
    class Type(models.TextChoices):
        REGULAR = "Regular"
        NEGATIVE = "Negative"
        GENERAL_PRODUCT = "GeneralProduct"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(SandboxProject, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=256)
    description = models.TextField(blank=True, default="")
    type = models.CharField(max_length=16, choices=Type.choices, default=Type.REGULAR)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # The service compares tag names without regard to case.
            models.UniqueConstraint(Lower("name"), "project", name="sandbox_tag_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class SandboxImage(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Indexed by the composite indexes below, which all start with the project.
    project = models.ForeignKey(
        SandboxProject, on_delete=models.CASCADE, related_name="images", db_index=False
    )
    created = models.DateTimeField(default=timezone.now)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    blob_name = models.CharField(max_length=200)  # the stored original: original/<sha256>.<ext>
    content_type = models.CharField(max_length=32)
    # Denormalised "has at least one tag" (regions always add their tag), kept by the services so
    # that tagged/untagged pages and counts of 100,000 images are index scans.
    tagged = models.BooleanField(default=False)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            # Newest/Oldest paging: created with the id as tie-break, in both directions.
            models.Index(fields=["project", "created", "id"], name="sandbox_image_order"),
            models.Index(fields=["project", "tagged", "created", "id"], name="sandbox_image_tagged"),
            models.Index(fields=["project", "sha256"], name="sandbox_image_sha"),
            models.Index(fields=["blob_name"], name="sandbox_image_blob"),
        ]

    def __str__(self) -> str:
        return str(self.id)

    @property
    def thumbnail_name(self) -> str:
        return f"thumbnail/{self.sha256}.jpg"

    @property
    def resized_name(self) -> str:
        if max(self.width, self.height) > RESIZED_MAX_SIDE:
            return f"resized/{self.sha256}.jpg"
        return self.blob_name  # small enough: the original is its own resized copy


class SandboxImageTag(models.Model):
    # DO_NOTHING on images: the services delete an image's tags and regions first, so deleting
    # 100,000 images is one statement each instead of the ORM loading every row to cascade.
    image = models.ForeignKey(
        SandboxImage, on_delete=models.DO_NOTHING, related_name="image_tags", db_index=False
    )
    tag = models.ForeignKey(SandboxTag, on_delete=models.CASCADE, related_name="image_tags", db_index=False)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["image", "tag"], name="sandbox_image_tag_unique")]
        # imageCount per tag and tagIds filters read by tag first.
        indexes = [models.Index(fields=["tag", "image"], name="sandbox_imagetag_by_tag")]

    def __str__(self) -> str:
        return f"{self.image_id}:{self.tag_id}"


class SandboxRegion(models.Model):
    """A bounding box, normalised to the image (0-1), as the service stores it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    image = models.ForeignKey(
        SandboxImage, on_delete=models.DO_NOTHING, related_name="regions"
    )  # see SandboxImageTag
    tag = models.ForeignKey(SandboxTag, on_delete=models.CASCADE, related_name="regions")
    left = models.FloatField()
    top = models.FloatField()
    width = models.FloatField()
    height = models.FloatField()
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return str(self.id)


class SandboxFaults(models.Model):
    """The single row of fault-injection settings (sandbox.services.faults). All off by default."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    latency_ms = models.PositiveIntegerField(default=0)
    tps_limit = models.FloatField(default=0)  # requests per second per process; 0 = no limit
    retry_after = models.BooleanField(default=True)  # send Retry-After with the 429
    error_rate = models.FloatField(default=0)  # fraction answered 500 or 503
    drop_rate = models.FloatField(default=0)  # fraction whose response is cut off mid-body
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "sandbox faults"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="sandbox_faults_single_row")]

    def __str__(self) -> str:
        return "Sandbox faults"


# The Vision model customization stand-in keeps its models in sandbox/vision/models.py.
from sandbox.vision.models import VisionDataset, VisionEvaluation, VisionModel  # noqa: E402, F401
