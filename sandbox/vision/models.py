"""Datasets, models and evaluations of the sandbox's Vision resource (one per installation).

Names are the public keys, as in Azure; rows also carry a UUID so that a model file or a cached
model never outlives the row it belongs to when a name is deleted and used again.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


def new_etag() -> str:
    return uuid.uuid4().hex


class VisionDataset(models.Model):
    class AnnotationKind(models.TextChoices):
        CLASSIFICATION = "imageClassification"
        DETECTION = "imageObjectDetection"

    class AuthKind(models.TextChoices):
        MANAGED_IDENTITY = "managedIdentity"
        SAS = "sas"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255, unique=True)
    annotation_kind = models.CharField(max_length=32, choices=AnnotationKind.choices)
    annotation_file_uris = models.JSONField(default=list)
    auth_kind = models.CharField(max_length=16, choices=AuthKind.choices, default=AuthKind.MANAGED_IDENTITY)
    # The SAS query string the service appends to every URL it reads. Never written back in responses.
    sas_token = models.TextField(blank=True, default="")
    custom_properties = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)
    etag = models.CharField(max_length=64, default=new_etag)
    # What registration read from the annotation files.
    image_count = models.PositiveIntegerField(default=0)
    annotation_count = models.PositiveIntegerField(default=0)
    category_names = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [models.Index(fields=["created", "id"], name="sandbox_vds_created")]

    def __str__(self) -> str:
        return self.name


class VisionModel(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "notStarted"
        TRAINING = "training"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLING = "cancelling"
        CANCELLED = "cancelled"

    class Kind(models.TextChoices):
        CLASSIFIER = "Generic-Classifier"
        DETECTOR = "Generic-Detector"
        PRODUCT_RECOGNIZER = "Product-Recognizer"

    TERMINAL = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NOT_STARTED)
    model_kind = models.CharField(max_length=32, choices=Kind.choices)
    training_dataset_name = models.CharField(max_length=255)
    time_budget_hours = models.FloatField()
    test_dataset_name = models.CharField(max_length=255, blank=True, default="")
    cancel_requested = models.BooleanField(default=False)
    heartbeat = models.DateTimeField(null=True, blank=True)  # the training run's last sign of life
    training_cost_minutes = models.FloatField(null=True, blank=True)
    performance = models.JSONField(null=True, blank=True)
    # Sandbox extras (which images were used for what, steps, loss), shown as "sandboxDetails".
    details = models.JSONField(default=dict, blank=True)
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    model_dir = models.CharField(max_length=500, blank=True, default="")  # the trained model's folder
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["created", "id"], name="sandbox_vmodel_created")]

    def __str__(self) -> str:
        return self.name

    @property
    def trainer_kind(self) -> str:
        """Product recognition trains a detector, as it is object detection underneath."""
        return "classifier" if self.model_kind == self.Kind.CLASSIFIER else "detector"

    @property
    def annotation_kind(self) -> str:
        if self.model_kind == self.Kind.CLASSIFIER:
            return VisionDataset.AnnotationKind.CLASSIFICATION
        return VisionDataset.AnnotationKind.DETECTION


class VisionEvaluation(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "notStarted"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    TERMINAL = (Status.SUCCEEDED, Status.FAILED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    model = models.ForeignKey(VisionModel, on_delete=models.CASCADE, related_name="evaluations")
    name = models.CharField(max_length=255)
    test_dataset_name = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NOT_STARTED)
    performance = models.JSONField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["model", "name"], name="sandbox_veval_name_unique")]
        indexes = [models.Index(fields=["model", "created", "id"], name="sandbox_veval_created")]

    def __str__(self) -> str:
        return f"{self.model_id}/{self.name}"
