from __future__ import annotations

import math
import uuid
from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError

from customization.models import DatasetRecord
from customization.services.datasets import NAME
from customization.training_rules import (
    LOCAL_MINIMUM_HOURS,
    MAX_HOURS,
    boxes_per_image,
    budget_refusal,
    hours_text,
    kind_mismatch,
)
from jobs.errors import JobError
from jobs.models import Job
from outbound.reader import Unreadable, check_url
from workspaces.models import Workspace
from workspaces.storage import storage_for

KINDS = [("imageObjectDetection", "Object detection"), ("imageClassification", "Classification (multiclass)")]
MODEL_KINDS = [
    ("Generic-Detector", "Object detector"),
    ("Generic-Classifier", "Classifier"),
    ("Product-Recognizer", "Product recognizer"),
]
MAX_UPLOAD = 6 * 1024 * 1024


MIN_SAS_HOURS = 0.001
EXPORT_GONE = "The export this file came from no longer exists; register it without the link."


def _name(value: str) -> str:
    value = value.strip()
    if not NAME.match(value):
        raise ValidationError("Use letters, digits, '.', '_' and '-', starting with a letter or digit.")
    return value


def _range_text(minimum: float | None) -> str:
    if minimum is None:
        return f"Enter a budget above 0 h and at most {MAX_HOURS:g} h (12 days), the service's limit."
    return f"Enter a budget from {minimum:g} h to {MAX_HOURS:g} h (12 days), the service's limit."


class HoursField(forms.FloatField):
    """A budget in hours: a finite number (nan, inf and 1e400 get the range sentence, not "Enter a
    number"), at most the service's MAX_HOURS; above ``minimum`` when one is given."""

    def __init__(self, *, minimum: float | None = None, **kwargs) -> None:
        self.minimum = minimum
        super().__init__(error_messages={"invalid": _range_text(minimum)}, **kwargs)

    def validate(self, value: float | None) -> None:
        super().validate(value)
        if value is None:
            return
        low = self.minimum if self.minimum is not None else 0
        if not math.isfinite(value) or value > MAX_HOURS or value < low or value <= 0:
            raise ValidationError(self.error_messages["invalid"], code="out_of_range")


def _own_storage(workspace: Workspace | None) -> list[str]:
    """The workspace's container URL, which may be on this machine (Azurite), as the job allows."""
    try:
        return [storage_for(workspace)[1].url("x")] if workspace is not None else []
    except JobError:
        return []


class RegisterDatasetForm(forms.Form):
    name = forms.CharField(max_length=255, validators=[_name])
    kind = forms.ChoiceField(choices=KINDS, label="Annotation kind")
    purpose = forms.ChoiceField(
        choices=[("training", "Training"), ("evaluation", "Evaluation")], initial="training"
    )
    source = forms.ChoiceField(
        choices=[("storage", "A file in this workspace's storage"), ("url", "A URL")],
        widget=forms.RadioSelect,
        initial="storage",
    )
    path = forms.CharField(required=False, label="Path in storage", help_text="e.g. Pets_<id>/train.json")
    url = forms.CharField(required=False, label="URL", help_text="Read anonymously (managed identity).")
    auth = forms.ChoiceField(
        choices=[
            ("sas", "Generate a SAS token that covers training"),
            ("managedIdentity", "Managed identity (the service's own access)"),
        ],
        widget=forms.RadioSelect,
        initial="sas",
        label="How the service reads the files",
    )
    budget_hours = HoursField(
        minimum=MIN_SAS_HOURS,
        initial=1,
        label="Planned training budget (hours)",
        help_text="The SAS is made to outlive it by 48 hours.",
    )
    check = forms.ChoiceField(
        choices=[
            ("sample", "Read a sample of 50 images"),
            ("all", "Read every image"),
            ("none", "Do not read images"),
        ],
        initial="sample",
        label="Image check",
    )
    export_job = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, workspace: Workspace | None = None, **kwargs) -> None:
        """``workspace``: the one registering; an export link must name one of its exports, and a
        COCO URL on this machine must be its own storage. Without it, any workspace's export and any
        loopback URL pass here (the job's reader still refuses other loopback ports)."""
        super().__init__(*args, **kwargs)
        self.workspace = workspace

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        if not url or self.data.get(self.add_prefix("source")) != "url":
            return url
        try:
            check_url(url, loopback_origins=_own_storage(self.workspace), any_loopback=self.workspace is None)
        except Unreadable as exc:
            raise ValidationError(exc.reason.removeprefix("Not read: ")) from exc
        return url

    def clean_export_job(self) -> str:
        value = self.cleaned_data["export_job"].strip()
        if not value:
            return ""
        try:
            pk = uuid.UUID(value)
        except ValueError:
            pk = None
        exports = Job.objects.filter(pk=pk, kind="export_project")
        if self.workspace is not None:
            exports = exports.filter(workspace=self.workspace)
        if pk is None or not exports.exists():
            # The field is hidden: drop the link from the form shown again, so that submitting it
            # once more registers the file without it, and say so where the page shows errors.
            self.data = self.data.copy()
            self.data[self.add_prefix("export_job")] = ""
            raise ValidationError(EXPORT_GONE, code="export_gone")
        return str(pk)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("source") == "storage" and not data.get("path"):
            self.add_error("path", "Enter the path of the COCO file in the workspace's storage.")
        if data.get("source") == "url":
            if not data.get("url") and not self.has_error("url"):
                self.add_error("url", "Enter the URL of the COCO file.")
            data["auth"] = "managedIdentity"
        if self.has_error("export_job"):  # a hidden field: the page shows the sentence beside the file
            self.add_error("url" if data.get("source") == "url" else "path", EXPORT_GONE)
        return data


class TrainForm(forms.Form):
    """A training the service can run: a free name, a dataset of a kind that fits the model, and a
    budget the service accepts (customization.training_rules says which, and how they are worded)."""

    name = forms.CharField(max_length=255, validators=[_name], label="Model name")
    kind = forms.ChoiceField(
        choices=MODEL_KINDS,
        help_text=(
            "Classifiers train on classification datasets; object detectors and product recognizers on object "
            "detection datasets."
        ),
    )
    dataset = forms.ChoiceField(label="Training dataset")
    eval_dataset = forms.ChoiceField(
        required=False,
        label="Evaluation dataset",
        help_text="Optional: without one, a stratified 20% is held out.",
    )
    budget_hours = HoursField(label="Time budget (hours)")

    def __init__(
        self,
        *args,
        datasets: Mapping[str, str],
        records: Mapping[str, DatasetRecord] | None = None,
        azure: bool = False,
        models: Mapping[str, str] | None = None,
        **kwargs,
    ) -> None:
        """``datasets``: name → annotation kind, as the service lists them; ``records``: what Visionport
        knows of them (image counts); ``azure``: the workspace trains on Azure, not the local service;
        ``models``: name → status of the models the service already has."""
        super().__init__(*args, **kwargs)
        self.kinds, self.records, self.azure, self.models = dict(datasets), records or {}, azure, models or {}
        choices = [(d, d) for d in self.kinds]
        self.fields["dataset"].choices = choices
        self.fields["eval_dataset"].choices = [("", "Hold out 20% of the training set"), *choices]
        if azure:
            budget_help = "Azure needs at least its minimum for the dataset's size (see the calculator)."
        else:
            budget_help = f"The local service needs at least {hours_text(LOCAL_MINIMUM_HOURS)}."
        self.fields["budget_hours"].help_text = budget_help + " Less is refused."

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        status = self.models.get(name)
        if status in ("failed", "cancelled"):
            raise ValidationError(
                f"The {status} model {name} holds this name at the service: delete it on its "
                "page (it has no weights), or pick another name."
            )
        if status is not None:
            raise ValidationError(f"A model named {name} already exists at the service: pick another name.")
        return name

    def clean(self) -> dict:
        data = super().clean()
        kind, dataset, eval_dataset = data.get("kind"), data.get("dataset"), data.get("eval_dataset")
        if kind and dataset and (sentence := kind_mismatch(dataset, self.kinds.get(dataset, ""), kind)):
            self.add_error("dataset", sentence)
        if kind and eval_dataset:
            sentence = kind_mismatch(eval_dataset, self.kinds.get(eval_dataset, ""), kind, training=False)
            if sentence:
                self.add_error("eval_dataset", sentence)
        budget = data.get("budget_hours")
        if kind and budget is not None:
            record = self.records.get(dataset or "")
            images = record.images if record else 0
            refusal = budget_refusal(
                budget,
                azure=self.azure,
                kind=kind,
                dataset=dataset or "",
                images=images,
                boxes=boxes_per_image(record.per_category if record else None, images),
            )
            if refusal:
                self.add_error("budget_hours", refusal)
        return data


class TryForm(forms.Form):
    image = forms.FileField(help_text="jpg, png, bmp, gif, tiff or webp; at least 50×50; at most 6 MB.")
    model = forms.ChoiceField()

    def __init__(self, *args, models: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [(m, m) for m in models]

    def clean_image(self):
        from io import BytesIO

        from PIL import Image, UnidentifiedImageError

        upload = self.cleaned_data["image"]
        if upload.size > MAX_UPLOAD:
            raise ValidationError("The image is larger than 6 MB, the service's limit for one request.")
        data = upload.read()
        try:
            with Image.open(BytesIO(data)) as image:
                fmt = image.format
                width, height = image.size
                if width * height > 50_000_000:
                    raise ValidationError("The image has too many pixels (over 50 megapixels).")
                image.load()
        except Image.DecompressionBombError as exc:
            raise ValidationError("The image is a decompression bomb and was refused.") from exc
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            raise ValidationError("This file is not an image Visionport can read.") from exc
        if fmt not in {"JPEG", "PNG", "BMP", "GIF", "TIFF", "WEBP"}:
            raise ValidationError(f"{fmt} images are not accepted: use jpg, png, bmp, gif, tiff or webp.")
        if min(width, height) < 50:
            raise ValidationError(f"The image is {width}×{height}; the service needs at least 50×50.")
        return {
            "data": data,
            "format": fmt,
            "content_type": f"image/{fmt.lower()}",
            "width": width,
            "height": height,
        }
