"""The sandbox's image host: the signed URLs of its blobs, ``/blobs/sandbox/…``, with its latency.

It stands for Custom Vision's own blob storage, so it shares the API's latency (the other faults
stay with the API). Serving, signatures and errors are blobstore.views.signed_blob's.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from blobstore.views import signed_blob
from sandbox.injection import delay
from sandbox.services.faults import faults_get

ROOT = "sandbox"  # blobstore.signing.local_roots' name for SANDBOX_STORAGE_ROOT


@login_not_required
@require_safe
def image_blob(request: HttpRequest, path: str) -> HttpResponse:
    delay(faults_get())
    return signed_blob(request, ROOT, path)
