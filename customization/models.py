"""What the dashboard knows about datasets and models beyond what the Vision service stores:
who registered or trained them, from which export or job, the validation report and the cost."""

from __future__ import annotations

import uuid

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


class ErrorAnalysis(models.Model):
    """One *Analyze errors* run: a model's predictions on every image of a dataset, through analyze.

    ``dataset_role`` says which dataset it was: the model's evaluation dataset, its training
    dataset (the figures then are not held out) or another one the user picked."""

    class Role(models.TextChoices):
        EVALUATION = "evaluation", "the model's evaluation dataset"
        TRAINING = "training", "the model's training dataset"
        OTHER = "other", "another dataset"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="error_analyses")
    model_name = models.CharField(max_length=255)
    dataset = models.CharField(max_length=255)
    dataset_role = models.CharField(max_length=20, choices=Role.choices)
    kind = models.CharField(max_length=30)  # imageClassification | imageObjectDetection
    categories = models.JSONField(default=list)
    images = models.PositiveIntegerField(default=0)  # in the dataset
    truth_objects = models.PositiveIntegerField(default=0)  # ground-truth labels or boxes
    failed = models.PositiveIntegerField(default=0)  # images the service gave no answer for
    complete = models.BooleanField(default=False)
    summary = models.JSONField(default=dict, blank=True)  # the page's figures (analysis_summary.py)
    job = models.ForeignKey("jobs.Job", null=True, on_delete=models.SET_NULL, related_name="+")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "model_name", "-created_at"], name="analysis_by_model")]

    def __str__(self) -> str:
        return f"{self.model_name} on {self.dataset}"

    @property
    def held_out(self) -> bool:
        return self.dataset_role != self.Role.TRAINING


class AnalyzedImage(models.Model):
    """One image of an analysis: its ground truth and what the model predicted, relative boxes.

    ``truth`` is ``{"labels": [tag, ...], "boxes": [[tag, x, y, w, h], ...]}``; ``predictions``
    are ``[tag, confidence]`` or ``[tag, confidence, x, y, w, h]``. ``error_score`` orders the error
    gallery (customization/metrics.py defines it); ``tags`` ("|a|b|") is what the tag filter reads."""

    analysis = models.ForeignKey(ErrorAnalysis, on_delete=models.CASCADE, related_name="rows")
    image_id = models.IntegerField()
    file_name = models.CharField(max_length=1000)
    url = models.CharField(max_length=2000)  # without any SAS
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    truth = models.JSONField(default=dict)
    predictions = models.JSONField(default=list)
    problem = models.CharField(max_length=500, blank=True)  # why the model gave no answer
    error_score = models.FloatField(default=0)
    tags = models.CharField(max_length=2000, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["analysis", "image_id"], name="one_row_per_analyzed_image")
        ]
        indexes = [models.Index(fields=["analysis", "-error_score", "image_id"], name="analyzed_worst_first")]

    def __str__(self) -> str:
        return self.file_name
