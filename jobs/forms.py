from __future__ import annotations

from django import forms

from jobs.models import Job
from jobs.registry import KINDS
from jobs.selectors import SORTS, JobFilters


class JobFilterForm(forms.Form):
    kind = forms.ChoiceField(required=False)
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Job.Status.choices])
    person = forms.ChoiceField(required=False)
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="From")
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="To")
    sort = forms.ChoiceField(
        required=False,
        choices=[(f"{d}{k}", k) for k in SORTS for d in ("", "-")],
        widget=forms.HiddenInput,
    )
    after = forms.CharField(required=False, max_length=400, widget=forms.HiddenInput)

    def __init__(self, *args, people: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "Any kind")] + [(k, v.label) for k, v in KINDS.items()]
        self.fields["person"].choices = [("", "Anyone")] + [(p, p) for p in people]

    def filters(self) -> JobFilters:
        if not self.is_valid():
            return JobFilters()
        data = self.cleaned_data
        return JobFilters(
            kind=data["kind"],
            status=data["status"],
            person=data["person"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            sort=data["sort"] or "-created",
            after=data["after"],
        )
