"""Celery tasks of the sandbox: thin wrappers around the Vision stand-in's training and evaluation runs.

Both go to the "training" queue by default, where a worker with the local trainer (PyTorch)
listens; the services send them to SANDBOX_TRAINING_QUEUE, which the test suite points at its
own queue.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="sandbox.vision_train_model", queue="training", acks_late=True, ignore_result=True)
def vision_train_model_task(model_id: str) -> None:
    from sandbox.vision.services.training import model_train_run

    model_train_run(model_id)


@shared_task(name="sandbox.vision_evaluate_model", queue="training", acks_late=True, ignore_result=True)
def vision_evaluate_model_task(evaluation_id: str) -> None:
    from sandbox.vision.services.evaluations import evaluation_run

    evaluation_run(evaluation_id)
