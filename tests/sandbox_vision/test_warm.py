"""A process that answers analyze calls holds a model loaded as soon as its training succeeds.

The web processes run ``models_keep_warm`` in a thread (config/gunicorn.py); here the live server's
process runs it, and the training runs in the real worker, as under `make run`.
"""

from __future__ import annotations

import logging
import re
import threading
import time

import pytest
import requests
from cognitive_service_vision_model_customization_python_samples import (
    Dataset,
    Model,
    ModelKind,
    TrainingParameters,
)

from sandbox.vision.models import VisionModel
from sandbox.vision.services import prediction
from tests.sandbox_vision.conftest import sas_auth, shape_picture, wait_model

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_model_is_loaded_in_the_predicting_process_once_its_training_succeeds(
    vision, folder, celery_worker, caplog
):
    uri = folder.put_coco("warm/coco.json", folder.coco("warm"))
    vision.datasets.register_dataset(Dataset("warm-train", "imageClassification", [uri], sas_auth(folder)))
    stop = threading.Event()
    warmer = threading.Thread(target=prediction.models_keep_warm, args=(stop,), daemon=True)
    warmer.start()
    try:
        vision.training.train_model(
            Model("warm-ic", TrainingParameters("warm-train", 0.004, ModelKind.GENERIC_IC))
        )
        assert wait_model(vision, "warm-ic", {"succeeded", "failed"}).status.value == "succeeded"
        model_id = str(VisionModel.objects.get(name="warm-ic").pk)
        deadline = time.monotonic() + prediction.WARM_POLL_SECONDS + 5
        while not prediction.model_cached(model_id) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert prediction.model_cached(model_id), "not loaded within a poll of its success"
    finally:
        stop.set()
        warmer.join(10)
    assert not warmer.is_alive()

    # The first analyze with it loads nothing: the service's own log line says so.
    picture, _ = shape_picture("circle", 5)
    with caplog.at_level(logging.INFO, logger="sandbox.vision.services.prediction"):
        answer = requests.post(
            vision.api("imageanalysis:analyze"),
            params={**vision.params, "model-name": "warm-ic"},
            headers={**vision.headers, "Content-Type": "image/png"},
            data=picture,
            timeout=30,
        )
    assert answer.status_code == 200
    assert answer.json()["customModelResult"]["tagsResult"]["values"][0]["name"] in {"circle", "square"}
    loaded = re.compile(r"analyze warm-ic: load 0\.\d ms")
    assert any(loaded.search(m) for m in caplog.messages), caplog.text

    # A process that starts later loads the models that succeeded last, before any prediction.
    prediction.model_forget(model_id)
    assert prediction.models_warm() == ["warm-ic"]
    assert prediction.model_cached(model_id)
    assert prediction.models_warm() == []  # held already: nothing loaded twice
