"""Friendly error pages (rendered with the site layout when a user is known)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "403.html", {"reason": str(exception) if str(exception) else ""}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors or database access here: the error may come from either.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render({}), status=500)


@login_not_required
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})
