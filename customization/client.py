"""The dashboard's client for the Vision model customization REST API (2023-04-01-preview).

One small client over ``requests``: timeouts, the migrator's retry policy (429 with Retry-After,
5xx, resets), and every failure turned into a VisionError whose message says what to do. It speaks
only the Azure wire protocol, so the sandbox and Azure differ by endpoint and key alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from azureclient.errors import ServiceError
from azureclient.retry import RetryPolicy, with_retries
from workspaces.models import Connection, Workspace

API_VERSION = "2023-04-01-preview"
SYNC_IMAGE_LIMIT = 6 * 1024 * 1024  # bytes accepted by analyze in one request


class VisionError(ServiceError):
    """A Vision call failed; the message says what to change."""


HINTS = {
    401: "The Vision key was rejected (401): copy Key 1 of the Vision resource into Settings.",
    403: "The Vision resource refused the request (403): check the key and the resource's network rules.",
    404: "Not found (404).",
    409: "It already exists (409).",
    429: "The Vision resource kept throttling requests (429); try again later.",
}


@dataclass
class Prediction:
    name: str
    confidence: float
    box: tuple[int, int, int, int] | None = None  # x, y, w, h in pixels


def parse_analyze(body: dict) -> tuple[list[Prediction], list[Prediction]]:
    """(tags, objects) from either analyze response shape found in the wild."""
    custom = body.get("customModelResult") or {}
    if "tagsResult" in custom or "objectsResult" in custom:
        tags = [
            Prediction(t["name"], float(t["confidence"]))
            for t in (custom.get("tagsResult") or {}).get("values", [])
        ]
        objects = []
        for o in (custom.get("objectsResult") or {}).get("values", []):
            best = max(o.get("tags") or [{"name": "?", "confidence": 0}], key=lambda t: t["confidence"])
            b = o["boundingBox"]
            objects.append(
                Prediction(
                    best["name"],
                    float(best["confidence"]),
                    (int(b["x"]), int(b["y"]), int(b["w"]), int(b["h"])),
                )
            )
        return tags, objects
    # The older shape: {"customModelResult": {"classifications": [...], "objects": [...]}}
    tags = [
        Prediction(t.get("label") or t.get("name"), float(t["confidence"]))
        for t in custom.get("classifications", [])
    ]
    objects = []
    for o in custom.get("objects", []):
        b = o.get("boundingBox") or o.get("rectangle")
        label = (o.get("classifications") or [{}])[0]
        objects.append(
            Prediction(
                label.get("label") or label.get("name") or o.get("object", "?"),
                float(label.get("confidence", o.get("confidence", 0))),
                (int(b["x"]), int(b["y"]), int(b["w"]), int(b["h"])),
            )
        )
    return tags, objects


class VisionClient:
    def __init__(self, endpoint: str, key: str, *, timeout: float = 30, attempts: int = 5) -> None:
        self.base = endpoint.rstrip("/") + "/computervision"
        self.session = requests.Session()
        self.session.headers["Ocp-Apim-Subscription-Key"] = key
        self.timeout = timeout
        self.policy = RetryPolicy(attempts=attempts)
        self.endpoint = endpoint

    @classmethod
    def for_workspace(cls, workspace: Workspace) -> VisionClient:
        connection = workspace.connections.filter(kind=Connection.Kind.VISION).first()
        if connection is None or not connection.is_configured:
            raise VisionError(
                "vision_not_configured", "This workspace has no Vision connection: add one in Settings."
            )
        return cls(connection.endpoint, connection.secret)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: bytes | None = None,
        content_type: str | None = None,
        params: dict | None = None,
        ok: tuple[int, ...] = (200,),
    ) -> Any:
        url = f"{self.base}/{path}"
        query = {"api-version": API_VERSION, **(params or {})}
        headers = {"Content-Type": content_type} if content_type else {}

        def send() -> requests.Response:
            response = self.session.request(  # no redirect: the key header would follow it
                method,
                url,
                params=query,
                json=json,
                data=data,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
            if response.status_code == 429 or response.status_code >= 500:
                response.raise_for_status()  # retried by the policy
            return response

        try:
            response = with_retries(send, self.policy)
        except requests.HTTPError as exc:
            return self._fail(exc.response)
        except requests.RequestException as exc:
            raise VisionError(
                "vision_unreachable",
                f"Cannot reach the Vision service at {self.endpoint}: check the endpoint and the network.",
                detail=str(exc),
            ) from exc
        if response.status_code not in ok:
            return self._fail(response)
        if not response.content:
            return None
        return response.json()

    def _fail(self, response: requests.Response) -> Any:
        try:
            error = response.json().get("error") or {}
        except ValueError:
            error = {}
        code = error.get("code") or response.headers.get("x-ms-error-code") or f"HTTP{response.status_code}"
        message = error.get("message") or HINTS.get(response.status_code, f"HTTP {response.status_code}")
        if response.status_code in (401, 403, 429):
            message = HINTS[response.status_code]
        raise VisionError(code, message, status=response.status_code)

    # --- datasets ------------------------------------------------------------------------------
    def dataset_register(
        self,
        name: str,
        *,
        kind: str,
        annotation_urls: list[str],
        sas: str | None,
        properties: dict | None = None,
    ) -> dict:
        body = {
            "annotationKind": kind,
            "annotationFileUris": annotation_urls,
            "authentication": {"kind": "sas", "sasToken": sas} if sas else {"kind": "managedIdentity"},
        }
        if properties:
            body["customProperties"] = properties
        return self.request("PUT", f"datasets/{quote(name)}", json=body, ok=(200, 201))

    def dataset_get(self, name: str) -> dict:
        return self.request("GET", f"datasets/{quote(name)}")

    def dataset_delete(self, name: str) -> None:
        self.request("DELETE", f"datasets/{quote(name)}", ok=(200, 204))

    def _list(self, path: str) -> list[dict]:
        items, skip = [], 0
        while True:
            page = self.request("GET", path, params={"skip": skip, "top": 30})
            values = page.get("value", [])
            items.extend(values)
            if not page.get("nextLink") or not values:
                return items
            skip += len(values)

    def datasets(self) -> list[dict]:
        return self._list("datasets")

    # --- models and evaluations ---------------------------------------------------------------
    def model_train(
        self, name: str, *, dataset: str, kind: str, budget_hours: float, eval_dataset: str = ""
    ) -> dict:
        body: dict[str, Any] = {
            "trainingParameters": {
                "trainingDatasetName": dataset,
                "timeBudgetInHours": budget_hours,
                "modelKind": kind,
            }
        }
        if eval_dataset:
            body["evaluationParameters"] = {"testDatasetName": eval_dataset}
        return self.request("PUT", f"models/{quote(name)}", json=body, ok=(200, 201))

    def model_get(self, name: str) -> dict:
        return self.request("GET", f"models/{quote(name)}")

    def model_cancel(self, name: str) -> dict | None:
        return self.request("POST", f"models/{quote(name)}:cancel", ok=(200, 202))

    def model_delete(self, name: str) -> None:
        self.request("DELETE", f"models/{quote(name)}", ok=(200, 204))

    def models(self) -> list[dict]:
        return self._list("models")

    def evaluation_start(self, model: str, name: str, dataset: str) -> dict:
        return self.request(
            "PUT",
            f"models/{quote(model)}/evaluations/{quote(name)}",
            json={"evaluationParameters": {"testDatasetName": dataset}},
            ok=(200, 201),
        )

    def evaluation_get(self, model: str, name: str) -> dict:
        return self.request("GET", f"models/{quote(model)}/evaluations/{quote(name)}")

    def evaluations(self, model: str) -> list[dict]:
        return self._list(f"models/{quote(model)}/evaluations")

    # --- analyze -------------------------------------------------------------------------------
    def analyze(
        self, model: str, image: bytes, content_type: str
    ) -> tuple[dict, list[Prediction], list[Prediction]]:
        if len(image) > SYNC_IMAGE_LIMIT:
            raise VisionError(
                "image_too_large", "The image is larger than 6 MB, the service's limit for one request."
            )
        body = self.request(
            "POST",
            "imageanalysis:analyze",
            data=image,
            content_type=content_type,
            params={"model-name": model},
        )
        tags, objects = parse_analyze(body)
        return body, tags, objects
