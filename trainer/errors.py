"""Typed failures of a training run; each carries a message fit to show the user."""

from __future__ import annotations


class TrainerError(Exception):
    """Base class: an expected failure whose ``str()`` is a user-facing message."""


class DatasetError(TrainerError):
    """The samples cannot be trained on (none, a bad label or box, too few classes, unreadable image)."""


class NotEnoughBudget(TrainerError):
    """The time budget cannot fit the minimum useful number of training steps."""

    def __init__(self, message: str, *, min_steps: int, planned_steps: int, step_seconds: float) -> None:
        super().__init__(message)
        self.min_steps = min_steps
        self.planned_steps = planned_steps
        self.step_seconds = step_seconds


class TrainingDiverged(TrainerError):
    """The training loss became NaN or infinite."""

    def __init__(self, message: str, *, step: int) -> None:
        super().__init__(message)
        self.step = step


class TrainingCancelled(TrainerError):
    """``should_stop()`` asked the run to stop."""

    def __init__(self, message: str, *, step: int) -> None:
        super().__init__(message)
        self.step = step
