"""Training, cancelling, evaluating and predicting through the samples' clients, with a real worker.

Budgets are seconds (TimeBudgetInHours 0.004-0.005): the trainer fills the budget it is given, so
these runs take about that long. The models learn circles from squares, but the tests only
check the shapes of the answers, not the accuracy.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import requests
from cognitive_service_vision_model_customization_python_samples import (
    Dataset,
    Evaluation,
    EvaluationParameters,
    Model,
    ModelKind,
    ModelStatus,
    TrainingParameters,
)
from PIL import Image

from sandbox.vision.models import VisionModel
from tests.sandbox_vision.conftest import jpeg, sas_auth, shape_picture, wait_evaluation, wait_model

pytestmark = pytest.mark.django_db(transaction=True)


def _register(
    vision, folder, name: str, *, kind: str = "imageClassification", per_class: int = 8, seed: int = 0
) -> None:
    uri = folder.put_coco(f"{name}/coco.json", folder.coco(name, kind=kind, per_class=per_class, seed=seed))
    vision.datasets.register_dataset(Dataset(name, kind, [uri], sas_auth(folder)))


def _raw_model(vision, name: str) -> dict:
    return requests.get(
        vision.api(f"models/{name}"), params=vision.params, headers=vision.headers, timeout=10
    ).json()


def _top_box(result: dict) -> tuple[int, ...]:
    """The most confident object's box, ``(x, y, w, h)``; empty when there is none."""
    objects = result["customModelResult"]["objectsResult"]["values"]
    if not objects:
        return ()
    box = max(objects, key=lambda o: o["tags"][0]["confidence"])["boundingBox"]
    return box["x"], box["y"], box["w"], box["h"]


def _analyze(vision, model: str, **kwargs) -> requests.Response:
    return requests.post(
        vision.api("imageanalysis:analyze"),
        params={**vision.params, "model-name": model},
        headers={**vision.headers, **kwargs.pop("headers", {})},
        timeout=30,
        **kwargs,
    )


def test_it_trains_a_classifier_then_evaluates_and_predicts_with_it(vision, folder, celery_worker):
    _register(vision, folder, "shapes-train")
    _register(vision, folder, "shapes-test", per_class=3, seed=1)
    budget = 0.005  # 18 s

    started = vision.training.train_model(
        Model("shapes-ic", TrainingParameters("shapes-train", budget, ModelKind.GENERIC_IC))
    )
    assert started.status in (ModelStatus.NOT_STARTED, ModelStatus.TRAINING)
    with pytest.raises(requests.HTTPError) as exc:
        vision.training.train_model(
            Model("shapes-ic", TrainingParameters("shapes-train", budget, ModelKind.GENERIC_IC))
        )
    assert (exc.value.response.status_code, exc.value.response.headers["x-ms-error-code"]) == (
        409,
        "ModelAlreadyExists",
    )

    model = wait_model(vision, "shapes-ic", {"succeeded", "failed", "cancelled"})
    assert model.status == ModelStatus.SUCCEEDED, model.error
    assert 0 < model.training_cost_in_minutes <= budget * 60
    performance = model.model_performance
    assert set(performance) >= {
        "accuracyTop1",
        "accuracyTop5",
        "averagePrecision",
        "calibrationECE",
        "meanAveragePrecision30",
        "meanAveragePrecision50",
        "meanAveragePrecision75",
        "tagPerformance",
    }
    assert 0 <= performance["averagePrecision"] <= 1 and 0 <= performance["accuracyTop1"] <= 1
    assert performance["accuracyTop5"] is None  # 2 classes: top-5 means nothing
    assert set(performance["tagPerformance"]) == {"circle", "square"}
    details = _raw_model(vision, "shapes-ic")["sandboxDetails"]
    assert details["evaluatedOn"] == "heldOutSplit"
    assert (details["trainingImages"], details["evaluationImages"]) == (12, 4)
    assert "error" not in _raw_model(vision, "shapes-ic")

    # Evaluation on another dataset, through the EvaluationClient's // paths.
    run = vision.evaluation.evaluate(Evaluation("eval-1", "shapes-ic", "shapes-test"))
    assert run.model_name == "shapes-ic"
    done = wait_evaluation(vision, "shapes-ic", "eval-1")
    assert done.status.value == "succeeded", done.error
    assert done.model_performance["averagePrecision"] is not None
    assert vision.training.query_model_evaluation("shapes-ic", "eval-1").status.value == "succeeded"
    with pytest.raises(requests.HTTPError) as exc:
        vision.training.evaluate_model(Evaluation("eval-1", "shapes-ic", "shapes-test"))
    assert exc.value.response.status_code == 409
    listed = requests.get(
        vision.api("models/shapes-ic/evaluations"), params=vision.params, headers=vision.headers, timeout=10
    ).json()
    assert [e["name"] for e in listed["value"]] == ["eval-1"]

    # Predict with the samples' PredictionClient (raw bytes, no features), and with a URL.
    picture, _ = shape_picture("circle", 4242)
    result = vision.prediction.predict("shapes-ic", picture, content_type="image/png")
    assert result["metadata"] == {"width": 96, "height": 96}
    tags = result["customModelResult"]["tagsResult"]["values"]
    assert {t["name"] for t in tags} == {"circle", "square"}
    assert tags[0]["confidence"] >= tags[1]["confidence"]
    assert abs(sum(t["confidence"] for t in tags) - 1) < 0.01
    assert result["customModelResult"]["objectsResult"]["values"] == []
    folder.put_image("probe.png", picture)
    by_url = _analyze(vision, "shapes-ic", json={"url": folder.link("probe.png", signed=True)})
    assert by_url.status_code == 200 and by_url.json()["customModelResult"]["tagsResult"]["values"] == tags

    # The image checks of Image Analysis 4.0.
    for body, inner in [
        (b"not an image", "InvalidImageFormat"),
        (jpeg((40, 40)), "InvalidImageSize"),
        (b"\xff" * (6 * 1024 * 1024 + 1), "InvalidImageSize"),
    ]:
        refused = _analyze(
            vision, "shapes-ic", data=body, headers={"Content-Type": "application/octet-stream"}
        )
        assert refused.status_code == 400
        assert refused.json()["error"]["innererror"]["code"] == inner
    dead_link = _analyze(vision, "shapes-ic", json={"url": "http://127.0.0.1:9/x.png"})
    assert dead_link.json()["error"]["innererror"]["code"] == "InvalidImageUrl"
    assert _analyze(vision, "nope", data=picture, headers={"Content-Type": "image/png"}).status_code == 404

    listed = requests.get(
        vision.api("models"), params=vision.params, headers=vision.headers, timeout=10
    ).json()
    assert [m["name"] for m in listed["value"]] == ["shapes-ic"] and "nextLink" not in listed

    # Deleting a finished model removes its file, its evaluations, and its predictions.
    folder_path = Path(VisionModel.objects.get(name="shapes-ic").model_dir)
    assert folder_path.is_dir()
    vision.training.delete_model("shapes-ic")
    assert not folder_path.exists()
    with pytest.raises(requests.HTTPError) as exc:
        vision.training.query_model("shapes-ic")
    assert (exc.value.response.status_code, exc.value.response.headers["x-ms-error-code"]) == (
        404,
        "ModelNotFound",
    )
    assert (
        _analyze(vision, "shapes-ic", data=picture, headers={"Content-Type": "image/png"}).status_code == 404
    )


def test_it_trains_a_detector_evaluated_on_a_test_dataset(vision, folder, celery_worker):
    _register(vision, folder, "boxes-train", kind="imageObjectDetection", per_class=6)
    _register(vision, folder, "boxes-test", kind="imageObjectDetection", per_class=3, seed=1)
    _register(vision, folder, "labels-only", per_class=3)
    budget = 0.004  # 14.4 s

    vision.training.train_model(
        Model(
            "shapes-od",
            TrainingParameters("boxes-train", budget, ModelKind.GENERIC_OD),
            EvaluationParameters("boxes-test"),
        )
    )
    model = wait_model(vision, "shapes-od", {"succeeded", "failed", "cancelled"})

    assert model.status == ModelStatus.SUCCEEDED, model.error
    assert model.evaluation_params.test_dataset_name == "boxes-test"
    assert model.training_cost_in_minutes <= budget * 60
    performance = model.model_performance
    for key in ("meanAveragePrecision30", "meanAveragePrecision50", "meanAveragePrecision75"):
        assert 0 <= performance[key] <= 1
    assert performance["averagePrecision"] is None
    details = _raw_model(vision, "shapes-od")["sandboxDetails"]
    assert (details["evaluatedOn"], details["trainingImages"], details["evaluationImages"]) == (
        "testDataset",
        12,
        6,
    )

    picture, _ = shape_picture("square", 777, size=(120, 100))
    result = vision.prediction.predict("shapes-od", picture, content_type="image/png")
    assert result["metadata"] == {"width": 120, "height": 100}
    assert result["customModelResult"]["tagsResult"]["values"] == []
    for found in result["customModelResult"]["objectsResult"]["values"]:
        box = found["boundingBox"]
        assert all(isinstance(box[k], int) for k in ("x", "y", "w", "h"))
        assert found["tags"][0]["name"] in {"circle", "square"}

    # A phone-sized photo is analysed shrunk; its boxes come back in the file's pixels.
    big = io.BytesIO()
    Image.open(io.BytesIO(picture)).resize((2400, 2000), Image.Resampling.BICUBIC).save(
        big, "JPEG", quality=95
    )
    large = vision.prediction.predict("shapes-od", big.getvalue(), content_type="image/jpeg")
    assert large["metadata"] == {"width": 2400, "height": 2000}
    small_boxes = _top_box(result)
    large_boxes = _top_box(large)
    assert small_boxes and large_boxes, (result, large)
    for small, scaled in zip(small_boxes, large_boxes, strict=True):
        assert abs(small * 20 - scaled) <= 0.08 * 2400, (small_boxes, large_boxes)

    # Evaluations fail with the documented codes.
    vision.evaluation.evaluate(Evaluation("wrong-kind", "shapes-od", "labels-only"))
    vision.evaluation.evaluate(Evaluation("no-dataset", "shapes-od", "ghost"))
    assert wait_evaluation(vision, "shapes-od", "wrong-kind").status.value == "failed"
    raw = requests.get(
        vision.api("models/shapes-od/evaluations/wrong-kind"),
        params=vision.params,
        headers=vision.headers,
        timeout=10,
    ).json()
    assert set(raw["error"]) == {"code", "message"} and raw["error"]["code"] == "incorrectModelKind"
    assert wait_evaluation(vision, "shapes-od", "no-dataset").error.code["code"] == "datasetNotFound"


def test_cancel_stops_a_training_model_which_cannot_be_deleted_meanwhile(vision, folder, celery_worker):
    _register(vision, folder, "long")
    budget = 0.05  # 3 minutes, cut short
    vision.training.train_model(Model("long-run", TrainingParameters("long", budget, ModelKind.GENERIC_IC)))
    wait_model(vision, "long-run", {"training"})

    with pytest.raises(requests.HTTPError) as exc:
        vision.training.delete_model("long-run")
    assert exc.value.response.status_code == 409

    vision.training.cancel_model_training("long-run")  # parses the 202's JSON body
    assert _raw_model(vision, "long-run")["status"] in ("cancelling", "cancelled")
    model = wait_model(vision, "long-run", {"cancelled", "failed", "succeeded"}, timeout=30)
    assert model.status == ModelStatus.CANCELLED
    assert model.training_cost_in_minutes <= budget * 60
    assert model.error is None

    cancel_again = requests.post(
        vision.api("models/long-run:cancel"), params=vision.params, headers=vision.headers, timeout=10
    )
    assert cancel_again.status_code == 202 and cancel_again.json()["status"] == "cancelled"
    vision.training.delete_model("long-run")
    assert not VisionModel.objects.filter(name="long-run").exists()


def test_failed_trainings_carry_the_documented_codes(vision, folder, celery_worker):
    _register(vision, folder, "small", per_class=4)
    _register(vision, folder, "will-break", per_class=4)
    folder.store.delete("will-break/images/3.png")  # an image gone after registration
    starts = {
        "too-little": ("small", 0.00001, ModelKind.GENERIC_IC),  # 36 ms: not even the probe steps fit
        "no-data": ("ghost", 0.005, ModelKind.GENERIC_IC),
        "broken": ("will-break", 0.005, ModelKind.GENERIC_IC),
        "wrong-kind": ("small", 0.005, ModelKind.GENERIC_OD),
        "shelf": ("small", 0.005, ModelKind.PRODUCT_RECOGNIZER),
    }
    for name, (dataset, budget, kind) in starts.items():
        vision.training.train_model(Model(name, TrainingParameters(dataset, budget, kind)))

    codes = {}
    for name in starts:
        model = wait_model(vision, name, {"succeeded", "failed", "cancelled"})
        assert model.status == ModelStatus.FAILED
        raw = _raw_model(vision, name)
        assert set(raw["error"]) == {"code", "message"}  # no innererror: the samples' parser would crash
        codes[name] = raw["error"]["code"]
        assert raw["trainingCostInMinutes"] <= starts[name][1] * 60
    assert codes == {
        "too-little": "notEnoughBudget",
        "no-data": "datasetNotFound",
        "broken": "datasetCorrupt",
        "wrong-kind": "datasetCorrupt",
        "shelf": "datasetCorrupt",
    }
    assert folder.sas not in _raw_model(vision, "broken")["error"]["message"]
    assert "will-break/images/3.png" in _raw_model(vision, "broken")["error"]["message"]

    def put(name: str, body: dict) -> requests.Response:
        return requests.put(
            vision.api(f"models/{name}"), params=vision.params, headers=vision.headers, json=body, timeout=10
        )

    valid = {"trainingDatasetName": "small", "timeBudgetInHours": 1, "modelKind": "Generic-Classifier"}
    assert put("zero", {"trainingParameters": {**valid, "timeBudgetInHours": 0}}).status_code == 400
    assert put("kind", {"trainingParameters": {**valid, "modelKind": "Generic-Segmenter"}}).status_code == 400
    assert put("none", {"evaluationParameters": {"testDatasetName": "small"}}).status_code == 400
    assert not VisionModel.objects.filter(name__in=["zero", "kind", "none"]).exists()
