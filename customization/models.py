"""What the dashboard knows about datasets and models beyond what the Vision service stores:
who registered or trained them, from which export or job, the validation report and the cost."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from workspaces.models import Workspace


class DatasetRecord(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="datasets")
    name = models.CharField(max_length=255)
    kind = models.CharField(max_length=30)  # imageClassification | imageObjectDetection
    purpose = models.CharField(max_length=20, default="training")
    annotation_url = models.URLField(max_length=1000)
    source = models.CharField(max_length=1000, help_text="Path in the workspace storage, or the URL given.")
    auth = models.CharField(max_length=20)  # sas | managedIdentity
    sas_expires_at = models.DateTimeField(null=True, blank=True)
    images = models.PositiveIntegerField(default=0)
    per_category = models.JSONField(default=dict)
    report = models.JSONField(default=dict)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    job = models.ForeignKey("jobs.Job", null=True, on_delete=models.SET_NULL, related_name="+")
    export_job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="one_dataset_record_per_name")
        ]

    def __str__(self) -> str:
        return self.name


class ModelRecord(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="trained_models")
    name = models.CharField(max_length=255)
    kind = models.CharField(max_length=30)
    dataset = models.CharField(max_length=255)
    eval_dataset = models.CharField(max_length=255, blank=True)
    budget_hours = models.FloatField()
    status = models.CharField(max_length=20, default="notStarted")
    cost_minutes = models.FloatField(null=True, blank=True)
    performance = models.JSONField(default=dict, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    job = models.ForeignKey("jobs.Job", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="one_model_record_per_name")
        ]

    def __str__(self) -> str:
        return self.name
