from __future__ import annotations

from django.http import HttpRequest

from workspaces.selectors import memberships_for_user


def workspace_nav(request: HttpRequest) -> dict:
    """The current workspace (set by @workspace_view) and the user's others, for the layout."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    match = getattr(request, "resolver_match", None)
    nav = ""
    if match:
        nav = {"migrator": "projects", "jobs": "jobs"}.get(match.namespace, "")
        if match.namespace == "customization":
            nav = next(n for n in ("dataset", "model", "try", "") if (match.url_name or "").startswith(n))
            nav = {"dataset": "datasets", "model": "models"}.get(nav, "try")
        elif match.namespace == "workspaces" and match.url_name == "settings":
            nav = "settings"
    return {
        "nav": nav,
        "current_workspace": getattr(request, "workspace", None),
        "current_membership": getattr(request, "membership", None),
        "nav_memberships": memberships_for_user(user=user),
    }
