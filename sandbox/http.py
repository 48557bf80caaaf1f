"""The request side of the sandbox APIs: the endpoint wrapper (enabled, faults, key, errors) and query parsing.

``sandbox_endpoint`` is shared by both stand-ins (the Vision one builds on it in sandbox.vision.http);
``cv_endpoint(GET=view, POST=view)`` builds the view for one Custom Vision URL. Its order of
work: 404 when the sandbox is off, then the faults (429 before anything else, then latency,
then 500/503), the key (APIM-style 401), the view (CvError becomes the flat error body), and
last a dropped response when the dice say so.
"""

from __future__ import annotations

import hmac
import logging
import math
import uuid
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from sandbox import conf, injection
from sandbox.errors import CvError, bad_request
from sandbox.ids import parse_uuid
from sandbox.keys import sandbox_key
from sandbox.services.faults import FaultConfig, faults_get
from sandbox.wire import APIM_UNAUTHORIZED, apim_error, error_response

logger = logging.getLogger(__name__)
View = Callable[..., HttpResponse]
ErrorBody = Callable[[int, str, str], HttpResponse]


def key_matches(given: str | None, service: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), sandbox_key(service).encode())


def cv_error_body(status: int, code: str, message: str) -> HttpResponse:
    return error_response(CvError(status, code, message))


def _faulted(config: FaultConfig, error_body: ErrorBody) -> HttpResponse | None:
    wait = injection.throttled(config)
    if wait is not None:
        seconds = max(1, math.ceil(wait))
        response = apim_error(429, f"Rate limit is exceeded. Try again in {seconds} seconds.")
        if config.retry_after:
            response["Retry-After"] = str(seconds)
        return response
    injection.delay(config)
    status = injection.server_error(config)
    if status is not None:
        return error_body(status, "ErrorUnknown", "Sandbox fault injection: simulated server error.")
    return None


def sandbox_endpoint(
    view: View,
    *,
    error_body: ErrorBody,
    key_header: str,
    service: str,
    unauthorized: Callable[[], HttpResponse],
) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not settings.SANDBOX_ENABLED:
            raise Http404
        kwargs.pop("version", None)
        config = faults_get()
        response = _faulted(config, error_body) if config.active else None
        if response is None:
            # Django's request.headers is case-insensitive, as the service is (Training-key works).
            if not key_matches(request.headers.get(key_header), service):
                response = unauthorized()
            else:
                try:
                    response = view(request, *args, **kwargs)
                except CvError as exc:
                    response = error_body(exc.status, exc.code, exc.message)
                except Exception:
                    logger.exception("Sandbox: unexpected error in %s %s", request.method, request.path)
                    response = error_body(500, "ErrorUnknown", "The sandbox failed to process the request.")
        if config.drop_rate and injection.should_drop(config):
            return injection.dropped(response, request.META)
        return response

    return login_not_required(csrf_exempt(wrapper))


def cv_endpoint(**methods: View) -> View:
    """One Custom Vision Training URL, with a view per HTTP method."""

    def dispatch(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        view = methods.get(request.method or "")
        if view is None:
            raise CvError(405, "BadRequestNotSupported", f"{request.method} is not supported on this path.")
        return view(request, *args, **kwargs)

    return sandbox_endpoint(
        dispatch,
        error_body=cv_error_body,
        key_header="Training-Key",
        service="customvision",
        unauthorized=lambda: apim_error(401, APIM_UNAUTHORIZED),
    )


# --- Request parsing ---------------------------------------------------------------------------


def read_body(request: HttpRequest) -> bytes:
    """The raw body, bypassing request.POST (it would decode binary parts as text, §1.5) and
    Django's 8 MiB DATA_UPLOAD_MAX_MEMORY_SIZE (a batch of 64 images is larger)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > conf.max_request_bytes():
        raise CvError(413, "BadRequestImageSizeBytes", "The request body is too large.")
    return request.read()


def query_list(request: HttpRequest, name: str) -> list[str]:
    return [item.strip() for item in request.GET.get(name, "").split(",") if item.strip()]


def query_uuids(request: HttpRequest, name: str, *, limit: int | None = None) -> list[uuid.UUID]:
    values = query_list(request, name)
    if limit is not None and len(values) > limit:
        raise bad_request(f"At most {limit} values are allowed in {name}.", "BadRequestInvalidIds")
    parsed = [parse_uuid(v) for v in values]
    if any(p is None for p in parsed):
        raise bad_request(f"{name} holds an id that is not a GUID.", "BadRequestInvalidIds")
    return [p for p in parsed if p is not None]


def query_int(
    request: HttpRequest,
    name: str,
    default: int,
    low: int,
    high: int,
    *,
    invalid: Callable[[str], CvError] = bad_request,
) -> int:
    """The integer ``name`` in [low, high], ``default`` when absent; else ``invalid(message)`` is raised
    (the Vision stand-in passes its own 400, sandbox.vision.errors.invalid_argument)."""
    raw = request.GET.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(f"{name} must be an integer.") from None
    if not low <= value <= high:
        raise invalid(f"{name} must be between {low} and {high}.")
    return value


def query_bool(request: HttpRequest, name: str) -> bool:
    return request.GET.get(name, "").lower() == "true"


def no_iteration(request: HttpRequest) -> None:
    """The sandbox trains nothing, so any iterationId names an iteration that does not exist."""
    if request.GET.get("iterationId"):
        raise CvError(404, "NotFoundIteration", "Iteration not found")
