"""Models: creating one starts its training in a Celery task (queue SANDBOX_TRAINING_QUEUE).

Lifecycle: notStarted -> training -> succeeded | failed, or cancelling -> cancelled after a cancel.
Every transition is a conditional UPDATE on the current status, so a cancel racing with the end
of a run has one winner. The run polls the cancel flag through the trainer's ``should_stop``.
"""

from __future__ import annotations

import logging
import math
import shutil
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from sandbox.tasks import vision_train_model_task
from sandbox.vision import conf
from sandbox.vision.body import pick, pick_object, pick_str
from sandbox.vision.errors import RunFailed, VisionApiError, invalid_argument
from sandbox.vision.models import VisionModel
from sandbox.vision.services.datasets import name_check
from sandbox.vision.services.loading import Cancelled, dataset_load, samples_for
from sandbox.vision.services.prediction import model_forget
from sandbox.vision.wire import performance_json

logger = logging.getLogger(__name__)
Status = VisionModel.Status
KINDS = {k.value for k in VisionModel.Kind}
HEARTBEAT_SECONDS = 1.0  # how often a run checks for a cancel and shows it is alive
LOST_AFTER_SECONDS = 120  # a run silent this long is considered lost
SPLIT_FRACTION = 0.2
PREFIX_KEY = "byModelNamePrefix"  # in SANDBOX_TRAINER_CONFIG: trainer changes per model name prefix


def enqueue(task: Any, object_id: object, on_error: Callable[[str], None]) -> None:
    """Send ``task`` once the transaction commits; a broker failure fails the run instead of the request."""
    queue = conf.training_queue()

    def send() -> None:
        try:
            task.apply_async(args=[str(object_id)], queue=queue)
        except Exception as exc:
            logger.exception("Sandbox: could not queue %s for %s", task.name, object_id)
            on_error(f"The sandbox could not queue the run ({type(exc).__name__}); is the broker up?")

    transaction.on_commit(send)


def _parameters(data: dict[str, Any]) -> tuple[str, float, str, str]:
    training = pick_object(data, "trainingParameters")
    if training is None:
        raise invalid_argument("trainingParameters is required.")
    dataset = pick_str(training, "trainingDatasetName", required=True)
    budget = pick(training, "timeBudgetInHours")
    if isinstance(budget, bool) or not isinstance(budget, int | float) or not math.isfinite(budget):
        raise invalid_argument("trainingParameters.timeBudgetInHours must be a number of hours.")
    if not 0 < budget <= conf.MAX_BUDGET_HOURS:
        raise invalid_argument(
            f"timeBudgetInHours must be more than 0 and at most {conf.MAX_BUDGET_HOURS:g}."
        )
    kind = pick_str(training, "modelKind", required=True)
    if kind not in KINDS:
        raise invalid_argument(f"modelKind '{kind}' is not valid: use one of {', '.join(sorted(KINDS))}.")
    evaluation = pick_object(data, "evaluationParameters")
    test_dataset = pick_str(evaluation, "testDatasetName") if evaluation else ""
    return dataset, float(budget), kind, test_dataset


def model_create(*, name: str, data: dict[str, Any]) -> VisionModel:
    name_check(name, "model")
    dataset, budget, kind, test_dataset = _parameters(data)
    if VisionModel.objects.filter(name=name).exists():
        raise VisionApiError(409, "ModelAlreadyExists", f"A model named '{name}' already exists.")
    now = timezone.now()
    try:
        with transaction.atomic():
            model = VisionModel.objects.create(
                name=name,
                model_kind=kind,
                training_dataset_name=dataset,
                time_budget_hours=budget,
                test_dataset_name=test_dataset,
                created=now,
                updated=now,
            )
            enqueue(vision_train_model_task, model.pk, lambda message: _fail(model.pk, "unknown", message))
    except IntegrityError:
        raise VisionApiError(409, "ModelAlreadyExists", f"A model named '{name}' already exists.") from None
    return model


def model_cancel(*, model: VisionModel) -> VisionModel:
    """A queued model is cancelled at once; a training one is asked to stop (cancelling)."""
    now = timezone.now()
    if not VisionModel.objects.filter(pk=model.pk, status=Status.NOT_STARTED).update(
        status=Status.CANCELLED, cancel_requested=True, updated=now, training_cost_minutes=0.0
    ):
        VisionModel.objects.filter(pk=model.pk, status=Status.TRAINING).update(
            status=Status.CANCELLING, cancel_requested=True, updated=now
        )
    model.refresh_from_db()
    if model.status in (Status.SUCCEEDED, Status.FAILED):
        raise VisionApiError(
            409, "Conflict", f"Model '{model.name}' is {model.status}: there is no training to cancel."
        )
    return model


def model_delete(*, model: VisionModel) -> None:
    if model.status not in VisionModel.TERMINAL:
        raise VisionApiError(
            409,
            "Conflict",
            f"Model '{model.name}' is {model.status}: cancel its training and wait until it is cancelled "
            "before deleting it.",
        )
    if not VisionModel.objects.filter(pk=model.pk, status__in=VisionModel.TERMINAL).delete()[0]:
        raise VisionApiError(
            409, "Conflict", f"Model '{model.name}' changed while it was being deleted; try again."
        )
    model_forget(str(model.pk))
    if model.model_dir:
        shutil.rmtree(model.model_dir, ignore_errors=True)


# --- The training run (in the Celery task) ------------------------------------------------------


def _stop_flag(model_id: str) -> Callable[[], bool]:
    """should_stop for the trainer, and the run's heartbeat: one conditional UPDATE a second.

    No row updated means a cancel was asked for (or the row is gone): stop.
    """
    state = {"at": 0.0, "stop": False}

    def should_stop() -> bool:
        now = time.monotonic()
        if not state["stop"] and now - state["at"] >= HEARTBEAT_SECONDS:
            state["at"] = now
            alive = VisionModel.objects.filter(pk=model_id, status=Status.TRAINING, cancel_requested=False)
            state["stop"] = not alive.update(heartbeat=timezone.now())
        return bool(state["stop"])

    return should_stop


def _cancelled(model_id: object, cost: float) -> bool:
    """End a run whose cancel was asked for as cancelled; False when none was asked for."""
    return bool(
        VisionModel.objects.filter(
            pk=model_id,
            cancel_requested=True,
            status__in=[Status.NOT_STARTED, Status.TRAINING, Status.CANCELLING],
        ).update(status=Status.CANCELLED, updated=timezone.now(), training_cost_minutes=cost)
    )


def _fail(model_id: object, code: str, message: str, cost: float = 0.0) -> None:
    """failed with code, unless a cancel was asked for meanwhile (then cancelled)."""
    if _cancelled(model_id, cost):
        return
    VisionModel.objects.filter(
        pk=model_id, status__in=[Status.NOT_STARTED, Status.TRAINING, Status.CANCELLING]
    ).update(
        status=Status.FAILED,
        error_code=code,
        error_message=message[:2000],
        updated=timezone.now(),
        training_cost_minutes=cost,
    )


class _Clock:
    """Times the trainer's call: the compute that trainingCostInMinutes bills."""

    def __init__(self, budget_hours: float) -> None:
        self.budget_hours = budget_hours
        self.began: float | None = None
        self.seconds = 0.0

    def start(self) -> None:
        self.began = time.monotonic()

    def stop(self) -> None:
        if self.began is not None:
            self.seconds = time.monotonic() - self.began
            self.began = None

    def minutes(self) -> float:
        """Compute minutes: the training time, never more than the budget."""
        self.stop()
        return round(min(self.seconds, self.budget_hours * 3600) / 60, 4)


def _claim(model_id: str) -> str:
    """ "run" when this task should train; "busy" while another live run has it; "done" otherwise.

    A task is delivered again when its worker is lost (acks_late), or by Redis after its
    visibility timeout even though the first run is alive: the heartbeat tells the two apart.
    """
    now = timezone.now()
    rows = VisionModel.objects.filter(pk=model_id)
    stale = Q(heartbeat__isnull=True) | Q(heartbeat__lt=now - timedelta(seconds=LOST_AFTER_SECONDS))
    if rows.filter(status=Status.NOT_STARTED).update(status=Status.TRAINING, heartbeat=now, updated=now):
        return "run"
    if rows.filter(stale, status=Status.TRAINING, cancel_requested=False).update(heartbeat=now, updated=now):
        return "run"
    if rows.filter(status__in=[Status.TRAINING, Status.CANCELLING]).exclude(stale).exists():
        return "busy"
    _fail(model_id, "unknown", "The training run was lost.")  # a lost run: cancelled if asked, else failed
    return "done"


def model_train_run(model_id: str) -> None:
    """Train a model end to end (the Celery task's body)."""
    claim = _claim(model_id)
    if claim == "busy":
        # Look again later: if the live run dies meanwhile, its heartbeat goes stale and this takes over.
        vision_train_model_task.apply_async(
            args=[model_id], countdown=LOST_AFTER_SECONDS, queue=conf.training_queue()
        )
    if claim != "run":
        return
    model = VisionModel.objects.get(pk=model_id)
    clock = _Clock(model.time_budget_hours)
    try:
        _train(model, _stop_flag(model_id), clock)
    except Cancelled:
        _cancelled(model_id, clock.minutes())
    except RunFailed as exc:
        _fail(model_id, exc.code, exc.message, clock.minutes())
    except Exception as exc:
        logger.exception("Sandbox: training of model %s failed", model.name)
        _fail(
            model_id,
            "unknown",
            f"The sandbox's training run failed unexpectedly ({type(exc).__name__}: {exc}).",
            clock.minutes(),
        )


def _trainer() -> Any:
    try:
        import trainer
    except ImportError as exc:
        raise RunFailed(
            "unknown",
            f"The local trainer cannot be imported on the training worker ({exc}); install requirements-trainer.txt.",
        ) from exc
    return trainer


def trainer_changes(model_name: str) -> tuple[dict[str, Any], str]:
    """SANDBOX_TRAINER_CONFIG's changes for this model, and where its learning rate comes from.

    Its optional ``"byModelNamePrefix"`` object maps model name prefixes to more changes: the
    longest prefix the name starts with applies on top of the others (e.g. an absurd "lr" for
    models named "diverge-...", so that a run fails the way a real one can).
    """
    changes = dict(conf.trainer_overrides())
    by_prefix = changes.pop(PREFIX_KEY, None) or {}
    if not isinstance(by_prefix, dict) or not all(isinstance(v, dict) for v in by_prefix.values()):
        raise ValueError(f'"{PREFIX_KEY}" must map model name prefixes to objects of trainer changes.')
    lr_from = "SANDBOX_TRAINER_CONFIG" if "lr" in changes else ""
    prefix = max((p for p in by_prefix if model_name.startswith(p)), key=len, default=None)
    if prefix is not None:
        changes.update(by_prefix[prefix])
        if "lr" in by_prefix[prefix]:
            lr_from = f"SANDBOX_TRAINER_CONFIG's {PREFIX_KEY} entry '{prefix}'"
    return changes, lr_from


def _diverged_hint(lr: float, lr_from: str) -> str:
    """What to do about a diverged run, from where its learning rate came from."""
    if lr_from:
        return f"This model's learning rate ({lr:g}) comes from {lr_from}: lower it there and train again."
    return (
        f"The trainer's default learning rate ({lr:g}) diverged on this dataset: check its labels and boxes, "
        'or set a lower "lr" in SANDBOX_TRAINER_CONFIG, then train again.'
    )


def _train(model: VisionModel, should_stop: Callable[[], bool], clock: _Clock) -> None:
    """The run proper: raises Cancelled or RunFailed, or records the success."""
    trainer = _trainer()
    kind = model.trainer_kind
    loaded = dataset_load(
        model.training_dataset_name,
        annotation_kind=model.annotation_kind,
        purpose="training",
        wrong_kind_code="datasetCorrupt",
        should_stop=should_stop,
    )
    class_names = loaded.coco.class_names
    samples, _ = samples_for(loaded, kind, class_names)
    details: dict[str, Any] = {**loaded.skipped}
    if model.test_dataset_name:
        test = dataset_load(
            model.test_dataset_name,
            annotation_kind=model.annotation_kind,
            purpose="evaluation",
            wrong_kind_code="datasetCorrupt",
            should_stop=should_stop,
        )
        train_samples = samples
        held_out, dropped = samples_for(test, kind, class_names)
        details.update(evaluatedOn="testDataset", **dropped)
    else:
        train_samples, held_out = trainer.stratified_split(samples, SPLIT_FRACTION, seed=0)
        details["evaluatedOn"] = "heldOutSplit"
    if should_stop():
        raise Cancelled
    extra: dict[str, Any] = {}
    try:
        overrides, lr_from = trainer_changes(model.name)
        if overrides:
            extra["config"] = trainer.default_config(kind, **overrides)
    except (TypeError, ValueError, AttributeError) as exc:
        raise RunFailed("unknown", f"SANDBOX_TRAINER_CONFIG is not valid for the trainer: {exc}") from exc
    clock.start()
    try:
        result = trainer.train(
            kind,
            train_samples,
            class_names,
            budget_seconds=model.time_budget_hours * 3600,
            should_stop=should_stop,
            seed=0,
            **extra,
        )
    except trainer.TrainingCancelled as exc:
        raise Cancelled from exc
    except trainer.NotEnoughBudget as exc:
        raise RunFailed("notEnoughBudget", str(exc)) from exc
    except trainer.TrainingDiverged as exc:
        lr = extra["config"].lr if "config" in extra else trainer.default_config(kind).lr
        raise RunFailed("diverged", f"{exc} {_diverged_hint(lr, lr_from)}") from exc
    except trainer.DatasetError as exc:
        raise RunFailed("datasetCorrupt", str(exc)) from exc
    clock.stop()
    clock.seconds = result.seconds_used  # the trainer's own count: its budget covers the same span
    if held_out:
        performance = performance_json(kind, trainer.evaluate(result.model, held_out))
    else:
        performance, details["evaluatedOn"] = None, "none (too few images to hold any out)"
    details.update(
        trainingImages=len(train_samples),
        evaluationImages=len(held_out),
        steps=result.steps,
        finalLoss=round(result.final_loss, 5),
        trainingSeconds=round(result.seconds_used, 2),
        device=getattr(result, "device", "cpu"),
        backbone=result.model.info.get("backbone", "scratch"),
    )
    folder = conf.models_dir() / str(model.pk)
    result.model.save(folder)
    _succeed(model, folder, performance, details, clock.minutes())


def _succeed(
    model: VisionModel, folder: Path, performance: Any, details: dict[str, Any], cost: float
) -> None:
    now = timezone.now()
    if not VisionModel.objects.filter(pk=model.pk, status=Status.TRAINING, cancel_requested=False).update(
        status=Status.SUCCEEDED,
        performance=performance,
        details=details,
        model_dir=str(folder),
        training_cost_minutes=cost,
        updated=now,
    ):
        shutil.rmtree(folder, ignore_errors=True)  # cancelled at the last moment: the cancel wins
        _cancelled(model.pk, cost)
