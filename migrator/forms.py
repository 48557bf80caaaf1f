from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from migrator.coco import MULTILABEL_CHOICES, NEGATIVE_CHOICES

FLAVOURS = [
    ("vision", "Azure AI Vision COCO (relative boxes, coco_url): what dataset registration reads"),
    ("standard", "Standard COCO (pixel boxes, area, iscrowd): for CVAT, FiftyOne, pycocotools"),
]
EXISTING = [
    ("version", "Keep it and write a new version next to it (train.v2.json, ...)"),
    ("overwrite", "Overwrite it"),
]


class ExportForm(forms.Form):
    folder = forms.CharField(max_length=500, help_text="Folder inside the container; ends with /.")
    flavours = forms.MultipleChoiceField(
        choices=FLAVOURS,
        widget=forms.CheckboxSelectMultiple,
        initial=["vision", "standard"],
        label="COCO files to write",
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
