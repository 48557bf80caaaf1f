"""A training run that diverges, through the samples' clients and through the dashboard.

tests/settings.py gives models named "diverge-..." an absurd learning rate (1e12) through
SANDBOX_TRAINER_CONFIG's "byModelNamePrefix": on these tiny shape datasets the loss becomes
infinite within a few steps, so the trainer raises TrainingDiverged and the run fails with the
service's code ``diverged``, as a real run with a bad learning rate would.
"""

from __future__ import annotations

import json

import pytest
from cognitive_service_vision_model_customization_python_samples import (
    Dataset,
    Model,
    ModelKind,
    ModelStatus,
    TrainingParameters,
)

from sandbox.vision.services.training import trainer_changes
from tests.sandbox_vision.conftest import sas_auth, wait_model

BUDGET = 0.005  # 18 s; a diverging run stops within seconds


def _register(vision, folder, name: str) -> None:
    uri = folder.put_coco(f"{name}/coco.json", folder.coco(name, per_class=8))
    vision.datasets.register_dataset(Dataset(name, "imageClassification", [uri], sas_auth(folder)))


def test_prefixes_change_the_trainer_config_of_matching_models_only(settings):
    settings.SANDBOX_TRAINER_CONFIG = json.dumps(
        {
            "min_steps": 1,
            "lr": 0.01,
            "byModelNamePrefix": {"diverge-": {"lr": 1e12}, "diverge-slow-": {"batch_size": 2}},
        }
    )
    assert trainer_changes("shapes") == ({"min_steps": 1, "lr": 0.01}, "SANDBOX_TRAINER_CONFIG")
    changes, lr_from = trainer_changes("diverge-ic")
    assert changes == {"min_steps": 1, "lr": 1e12}
    assert lr_from == "SANDBOX_TRAINER_CONFIG's byModelNamePrefix entry 'diverge-'"
    # The longest matching prefix wins, on top of the other changes; it sets no lr here.
    assert trainer_changes("diverge-slow-1") == (
        {"min_steps": 1, "lr": 0.01, "batch_size": 2},
        "SANDBOX_TRAINER_CONFIG",
    )
    assert trainer_changes("x-diverge-") == ({"min_steps": 1, "lr": 0.01}, "SANDBOX_TRAINER_CONFIG")
    settings.SANDBOX_TRAINER_CONFIG = '{"byModelNamePrefix": {"diverge-": 5}}'
    with pytest.raises(ValueError, match="byModelNamePrefix"):
        trainer_changes("diverge-ic")


@pytest.mark.django_db(transaction=True)
def test_a_diverging_training_fails_with_code_diverged(vision, folder, celery_worker):
    _register(vision, folder, "diverge-data")
    vision.training.train_model(
        Model("diverge-ic", TrainingParameters("diverge-data", BUDGET, ModelKind.GENERIC_IC))
    )

    model = wait_model(vision, "diverge-ic", {"succeeded", "failed", "cancelled"})

    assert model.status == ModelStatus.FAILED
    assert model.error.code == "diverged"
    message = model.error.message
    assert message.startswith("Training diverged at step ")
    assert "the loss became inf" in message or "the loss became nan" in message
    # What to do, and where the bad learning rate comes from.
    assert (
        "This model's learning rate (1e+12) comes from SANDBOX_TRAINER_CONFIG's byModelNamePrefix entry "
        "'diverge-': lower it there and train again." in message
    )
    assert 0 < model.training_cost_in_minutes <= BUDGET * 60
    assert model.model_performance is None
