"""The sandbox's fault-injection settings page, for staff only (the sandbox is one per installation).

Other users get 404, as the page is not linked for them and they have no use for knowing it exists.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from sandbox.forms import FaultsForm
from sandbox.services.faults import (
    faults_allowed_for,
    faults_changed_at,
    faults_clear,
    faults_get,
    faults_set,
)


@require_http_methods(["GET", "POST"])
def faults_page(request: HttpRequest) -> HttpResponse:
    if not faults_allowed_for(request.user):
        raise Http404("No such page")
    config = faults_get(fresh=True)
    form = FaultsForm(initial=FaultsForm.initial_from(config))
    if request.method == "POST":
        if request.POST.get("action") == "off":
            faults_clear()
            messages.success(request, "All sandbox faults are off.")
            return redirect("sandbox_faults")
        form = FaultsForm(request.POST)
        if form.is_valid():
            faults_set(**form.changes())  # type: ignore[arg-type]
            messages.success(
                request, "Sandbox faults saved. Every workspace using the sandbox sees them now."
            )
            return redirect("sandbox_faults")
        messages.error(request, "Nothing was changed: correct the fields marked below.")
    context = {
        "form": form,
        "config": config,
        "current": FaultsForm.initial_from(config),
        "changed_at": faults_changed_at(),
    }
    return render(request, "sandbox/faults.html", context, status=400 if form.is_bound else 200)
