"""A training job's progress line reads as words, and says when the service has not started yet."""

from __future__ import annotations

from customization.services.training import training_progress


def test_a_training_not_started_says_it_waits_for_the_service():
    assert training_progress("notStarted", 2) == "Waiting for the service to start training, 2 s so far"


def test_a_running_training_names_its_status_in_words():
    assert training_progress("training", 75) == "Training, 1 min 15 s elapsed"
