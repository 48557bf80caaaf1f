from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from migrator.automl import DATASTORE_HELP, TASK_LABELS, TASKS, datastore_parse
from migrator.coco import MULTILABEL_CHOICES, NEGATIVE_CHOICES

# The field keeps its name (``flavours``): jobs and reports of earlier exports carry it.
FLAVOURS = [
    ("vision", "Azure AI Vision (COCO): relative boxes, coco_url; what dataset registration reads"),
    ("standard", "Standard COCO: pixel boxes, area, iscrowd; for CVAT, FiftyOne, pycocotools"),
    ("automl", "Azure ML AutoML (JSONL + MLTable): for an AutoML image job, with a validation split"),
]
EXISTING = [
    ("version", "Keep it and write a new version next to it (train.v2.json, ...)"),
    ("overwrite", "Overwrite it"),
]


def clean_datastore(value: str) -> str:
    """The datastore URI prefix in one spelling (``…/datastores/<name>``), or "" when none is given."""
    value = (value or "").strip()
    if not value:
        return ""
    datastore = datastore_parse(value)
    if datastore is None:
        raise ValidationError(f"This is not an Azure ML datastore URI prefix. {DATASTORE_HELP}")
    return datastore.prefix


class ExportForm(forms.Form):
    folder = forms.CharField(max_length=500, help_text="Folder inside the container; ends with /.")
    flavours = forms.MultipleChoiceField(
        choices=FLAVOURS,
        widget=forms.CheckboxSelectMultiple,
        initial=["vision", "standard"],
        label="Files to write (the images are copied once for all of them)",
    )
    validation_share = forms.IntegerField(
        min_value=0,
        max_value=50,
        initial=20,
        required=False,
        label="AutoML validation share (%)",
        help_text="Held out per tag, the same images every time; 0 writes no validation set.",
    )
    datastore = forms.CharField(
        max_length=500,
        required=False,
        label="AutoML datastore URI prefix",
        help_text=(
            "The Azure ML datastore on this workspace's container, up to its name "
            "(azureml://subscriptions/…/datastores/<name>); remembered for the workspace. Without it "
            "image_url holds blob URLs, which AutoML cannot read."
        ),
        widget=forms.TextInput(attrs={"placeholder": "azureml://subscriptions/…/datastores/…"}),
    )
    multilabel = forms.ChoiceField(
        choices=list(MULTILABEL_CHOICES.items()),
        widget=forms.RadioSelect,
        initial="skip",
        label="Images with several tags",
    )
    negative = forms.ChoiceField(
        choices=list(NEGATIVE_CHOICES.items()), widget=forms.RadioSelect, initial="skip", label="Negative tag"
    )
    existing = forms.ChoiceField(
        choices=EXISTING,
        widget=forms.RadioSelect,
        initial="version",
        label="If an annotation file already exists there",
    )

    def clean_folder(self) -> str:
        folder = self.cleaned_data["folder"].strip().lstrip("/")
        if ".." in folder.split("/") or "\\" in folder:
            raise ValidationError("Use a plain folder path, without .. or backslashes.")
        return folder if folder.endswith("/") else folder + "/"

    def clean_validation_share(self) -> int:
        value = self.cleaned_data.get("validation_share")
        return 20 if value is None else value

    def clean_datastore(self) -> str:
        return clean_datastore(self.cleaned_data.get("datastore", ""))

    def clean(self) -> dict:
        data = super().clean()
        if "automl" not in (data.get("flavours") or []):
            # Nothing to hold out or point at: the COCO-only job keeps the parameters it always had.
            data.pop("validation_share", None)
            data.pop("datastore", None)
        return data


class AutomlValidateForm(forms.Form):
    """A JSONL file in the workspace's storage to validate, with the MLTable beside it."""

    path = forms.CharField(
        max_length=1000,
        label="JSONL file in storage",
        help_text="e.g. Pets_<id>/automl/train/train_annotations.jsonl; the MLTable in its folder is checked too.",
    )
    task = forms.ChoiceField(
        choices=[("", "From the file's labels"), *((t, TASK_LABELS[t]) for t in TASKS.values())],
        required=False,
        label="Task",
    )
    purpose = forms.ChoiceField(
        choices=[("training", "Training data"), ("validation", "Validation data")],
        initial="training",
        label="Used as",
        help_text="Training data needs at least 10 images.",
    )
    datastore = forms.CharField(
        max_length=500,
        required=False,
        label="Expected datastore URI prefix",
        help_text="Optional: lines that name another datastore are reported.",
    )

    def clean_path(self) -> str:
        path = self.cleaned_data["path"].strip().lstrip("/")
        if not path or ".." in path.split("/") or "\\" in path or path.endswith("/"):
            raise ValidationError("Give the path of a file in the container, without .. or backslashes.")
        return path

    def clean_datastore(self) -> str:
        return clean_datastore(self.cleaned_data.get("datastore", ""))
