"""The export manifest: one row per image of a project export destination (the per-image checkpoint).

A re-run or retried export lists the project again, upserts these rows, copies only the images
not yet verified, and writes the annotation files from the rows it saw: it resumes where a killed
run stopped and never copies an image twice under different names.
"""

from __future__ import annotations

from django.db import models

from workspaces.models import Workspace


class ExportItem(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        COPIED = "copied", "Copied and verified"
        FAILED = "failed", "Failed"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    destination = models.CharField(max_length=600, help_text="container/folder/")
    image_id = models.UUIDField()
    seq = models.PositiveIntegerField(help_text="Position in the stable listing order; gives the COCO id.")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    labels = models.JSONField(default=list, help_text="[[tag_id], ...] or [[tag_id, l, t, w, h], ...]")
    blob_name = models.CharField(max_length=1000, blank=True)
    size = models.BigIntegerField(null=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    error = models.CharField(max_length=500, blank=True)
    last_job = models.UUIDField(db_index=True, help_text="The export job that last listed this image.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "destination", "image_id"], name="one_item_per_image"
            )
        ]
        indexes = [models.Index(fields=["last_job", "seq"], name="export_item_job_seq")]

    def __str__(self) -> str:
        return f"{self.image_id} -> {self.blob_name or '?'} ({self.status})"


class AutomlSettings(models.Model):
    """What a workspace's exports to Azure ML AutoML remember: the datastore on its container."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="+")
    datastore_uri = models.CharField(
        max_length=500, blank=True, help_text="azureml://subscriptions/…/datastores/<name>"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.datastore_uri or "(no datastore)"
