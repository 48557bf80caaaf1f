"""Writes and background runs of the Vision stand-in (datasets, training, evaluation, prediction)."""
