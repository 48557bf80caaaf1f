"""Friendly error pages (rendered with the site layout when a user is known), the login page and /healthz."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve


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


def _is_login_page(url: str) -> bool:
    try:
        return resolve(urlsplit(url).path).view_name == "login"
    except Resolver404:
        return False


class LoginView(auth_views.LoginView):
    """Django's login page, which sends a logged-in user on at once.

    A ``next`` that leads back to the login page (``?next=/accounts/login/``, or one nested in
    another ``next``) is dropped for the default page: Django raises a ValueError (a 500) when a
    logged-in user would be sent to the page they are on, and after a login it would only send the
    user through this page once more. Off-site and unsafe values are dropped by Django itself.
    """

    redirect_authenticated_user = True

    def get_redirect_url(self) -> str:
        url = super().get_redirect_url()
        return "" if url and _is_login_page(url) else url
