"""Serve local-backend blobs by signed URL (the local stand-in for an Azure SAS URL)."""

from __future__ import annotations

import mimetypes

from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from blobstore.base import BlobStoreError
from blobstore.local import safe_path
from blobstore.signing import local_roots, verify


def _azure_style_error(status: int, code: str, message: str) -> HttpResponse:
    body = f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code><Message>{message}</Message></Error>'
    response = HttpResponse(body, status=status, content_type="application/xml")
    response["x-ms-error-code"] = code
    return response


@login_not_required
@require_safe
def signed_blob(request: HttpRequest, root: str, path: str) -> HttpResponse:
    roots = local_roots()
    if root not in roots:
        raise Http404
    reason = verify(
        root, path, request.GET.get("se", ""), request.GET.get("sig", ""), request.GET.get("sr", "b")
    )
    if reason:
        return _azure_style_error(403, "AuthenticationFailed", reason)
    try:
        file_path = safe_path(roots[root], path)
    except BlobStoreError:
        raise Http404 from None
    if not file_path.is_file():
        return _azure_style_error(404, "BlobNotFound", "The specified blob does not exist.")
    content_type = mimetypes.guess_type(file_path.name)[0] or "application/octet-stream"
    return FileResponse(file_path.open("rb"), content_type=content_type)
