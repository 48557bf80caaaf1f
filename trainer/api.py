"""``train()``: fit a classifier or a detector from scratch inside a wall-clock budget.

The budget covers everything from the call to the return (image loading included). Five probe
steps measure the step time; the run then plans how many steps fit, so the one-cycle learning rate
schedule (warm-up, then cosine decay) ends inside the budget, and raises NotEnoughBudget when fewer
than ``min_steps`` fit. Before every step the clock is read and the plan re-made from a smoothed
step time, so a machine that gets busier compresses the schedule instead of overrunning it; no
step starts when it would end past the budget.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import torch
from PIL import Image

from trainer import classifier, detector
from trainer.data import Sample, validate
from trainer.errors import DatasetError, NotEnoughBudget, TrainingCancelled, TrainingDiverged
from trainer.model import TrainedModel, build_network

Kind = Literal["classifier", "detector"]
Progress = Callable[[int, int, str], None]

PROBE_STEPS = 5  # step 0 pays one-off costs; the median of steps 1-4 sets the plan
PROGRESS_EVERY_SECONDS = 0.5
PLAN_MARGIN = 0.97  # plan to end slightly early: step times wobble


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters; :func:`default_config` gives the measured defaults per kind."""

    lr: float
    batch_size: int
    min_steps: int  # fewer planned steps than this raise NotEnoughBudget
    weight_decay: float = 1e-4
    warmup: float = 0.15  # fraction of the steps spent warming up
    augment: float = 0.5  # scales the augmentation ranges; 1.0 is the strong set
    channel_swap: float = 0.5  # probability of shuffling an image's RGB channels
    max_steps: int | None = None  # a fixed step count (still bounded by the budget)
    threads: int | None = None  # default: all cores, at most 2
    device: str | None = None  # default: CUDA when available
    arch: dict = field(default_factory=dict)


def default_config(kind: Kind, **changes: Any) -> TrainConfig:
    if kind == "classifier":
        base = TrainConfig(
            lr=3e-3, batch_size=32, min_steps=100, weight_decay=5e-4, arch=dict(classifier.DEFAULT_ARCH)
        )
    elif kind == "detector":
        base = TrainConfig(
            lr=2e-3, batch_size=8, min_steps=100, warmup=0.05, arch=dict(detector.DEFAULT_ARCH)
        )
    else:
        raise ValueError(f"unknown kind {kind!r}; expected 'classifier' or 'detector'")
    return replace(base, **changes)


@dataclass
class TrainResult:
    model: TrainedModel
    seconds_used: float  # wall-clock, image loading included
    steps: int
    final_loss: float  # mean of the last 20 steps' losses
    losses: list[float] = field(default_factory=list)
    device: str = "cpu"


def one_cycle(step: int, total: int, peak: float, warmup: float) -> float:
    """Cosine warm-up from peak/25 to peak, then cosine decay to peak/1000."""
    frac = min(step / max(total, 1), 1.0)
    if frac < warmup:
        low = peak / 25
        return low + (peak - low) * (1 - math.cos(math.pi * frac / warmup)) / 2
    low = peak / 1000
    return low + (peak - low) * (1 + math.cos(math.pi * (frac - warmup) / (1 - warmup))) / 2


def untrained_model(kind: Kind, class_names: Sequence[str], *, seed: int = 0) -> TrainedModel:
    """A freshly initialised model: the baseline a trained one must beat."""
    torch.manual_seed(seed)
    arch = default_config(kind).arch
    return TrainedModel(kind, class_names, build_network(kind, len(class_names), arch), arch=arch)


def train(
    kind: Kind,
    samples: Sequence[Sample],
    class_names: Sequence[str],
    *,
    budget_seconds: float,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    seed: int = 0,
    config: TrainConfig | None = None,
) -> TrainResult:
    """Train a ``kind`` model on ``samples`` within ``budget_seconds`` of wall-clock time.

    ``progress(done, total, message)`` is called at most every 0.5 s (first while images load, then
    per step; the step total can shrink if steps slow down) and once at the end; it may raise to
    abort. ``should_stop()`` is polled before every image and step; True raises TrainingCancelled.
    """
    start = time.monotonic()
    validate(kind, samples, class_names)
    config = config or default_config(kind)
    if config.max_steps is not None and config.max_steps < config.min_steps:
        raise ValueError(f"max_steps ({config.max_steps}) is below min_steps ({config.min_steps})")
    module = classifier if kind == "classifier" else detector
    device = torch.device(config.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(config.threads or min(2, os.cpu_count() or 1))
    try:
        return _train(
            kind,
            module,
            samples,
            class_names,
            budget_seconds,
            progress,
            should_stop,
            seed,
            config,
            device,
            start,
        )
    finally:
        torch.set_num_threads(previous_threads)


def _train(
    kind: Kind,
    module: Any,
    samples: Sequence[Sample],
    class_names: Sequence[str],
    budget: float,
    progress: Progress | None,
    should_stop: Callable[[], bool] | None,
    seed: int,
    config: TrainConfig,
    device: torch.device,
    start: float,
) -> TrainResult:
    last_report = -math.inf

    def report(done: int, total: int, message: str, *, force: bool = False) -> None:
        nonlocal last_report
        now = time.monotonic()
        if progress is not None and (force or now - last_report >= PROGRESS_EVERY_SECONDS):
            last_report = now
            progress(done, total, message)

    def check_stop(step: int) -> None:
        if should_stop is not None and should_stop():
            raise TrainingCancelled(f"Training was cancelled at step {step}.", step=step)

    def load(index: int) -> Image.Image:
        check_stop(0)
        report(index, len(samples), f"Loading images ({index}/{len(samples)})")
        try:
            return samples[index].load()
        except Exception as exc:
            raise DatasetError(f"Image {index} could not be read: {exc}") from exc

    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    if kind == "classifier":
        data = classifier.prepare(samples, load)
    else:
        data = detector.prepare(samples, load, len(class_names))
    network = build_network(kind, len(class_names), config.arch).to(device)
    optimiser = torch.optim.AdamW(network.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    order = _Order(len(samples), config.batch_size, gen)

    cap = config.max_steps or 10**9
    planned = cap  # provisional until the probe steps are timed
    losses: list[float] = []
    probe: list[float] = []
    step_seconds = 0.0
    step = 0
    while True:
        elapsed = time.monotonic() - start
        if step > 0 and elapsed + step_seconds > budget and step < PROBE_STEPS:
            _plan(kind, config, budget, elapsed, step, step_seconds, 0)  # raises NotEnoughBudget
        if step == PROBE_STEPS or (step < PROBE_STEPS and step == cap):
            planned = _plan(kind, config, budget, elapsed, step, step_seconds, cap)
        elif step > PROBE_STEPS:
            # Re-plan from the smoothed step time, so the schedule ends inside the budget even when
            # the machine gets busier (or quieter) than during the probe.
            planned = min(cap, step + int((budget - elapsed) * PLAN_MARGIN / step_seconds))
        if step >= planned or (step > 0 and elapsed + step_seconds > budget):
            break
        check_stop(step)
        began = time.monotonic()
        for group in optimiser.param_groups:
            group["lr"] = one_cycle(step, planned, config.lr, config.warmup)
        network.train()
        inputs, targets = module.make_batch(
            data, order.next(), gen, device, augment=config.augment, channel_swap=config.channel_swap
        )
        loss = module.loss(network(inputs), targets)
        value = float(loss.detach())
        if not math.isfinite(value):
            raise TrainingDiverged(
                f"Training diverged at step {step}: the loss became {value}. Try a lower learning rate.",
                step=step,
            )
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(network.parameters(), 10.0)
        optimiser.step()
        losses.append(value)
        took = time.monotonic() - began
        if 0 < step < PROBE_STEPS:
            probe.append(took)
            step_seconds = float(np.median(probe))
        elif step >= PROBE_STEPS:
            step_seconds = 0.9 * step_seconds + 0.1 * took
        step += 1
        total = planned if planned < 10**9 else 0  # unknown during the probe
        report(step, total, f"Training: step {step}/{total or '?'}, loss {value:.4f}")

    report(step, step, f"Trained {step} steps, loss {np.mean(losses[-20:]):.4f}", force=True)
    network.eval()
    seconds = time.monotonic() - start
    final_loss = float(np.mean(losses[-20:]))
    info = {
        "steps": step,
        "seconds": round(seconds, 2),
        "final_loss": round(final_loss, 5),
        "seed": seed,
        "batch_size": config.batch_size,
        "lr": config.lr,
        "device": str(device),
        "torch": torch.__version__,
        "train_images": len(samples),
    }
    model = TrainedModel(kind, class_names, network.cpu(), arch=config.arch, info=info)
    return TrainResult(model, seconds, step, final_loss, losses, str(device))


def _plan(
    kind: str,
    config: TrainConfig,
    budget: float,
    elapsed: float,
    step: int,
    step_seconds: float,
    planned: int,
) -> int:
    """Steps that fit the budget at the measured step time; raise if fewer than the minimum."""
    fits = step + int(max(budget - elapsed, 0.0) * PLAN_MARGIN / max(step_seconds, 1e-6))
    planned = min(planned, fits)
    if planned < config.min_steps:
        raise NotEnoughBudget(
            f"A {kind} needs at least {config.min_steps} training steps; a {budget:g} s budget fits about "
            f"{planned} at {step_seconds:.3f} s per step ({elapsed:.1f} s went on loading images and timing steps). "
            f"Allow at least {elapsed + config.min_steps * step_seconds / PLAN_MARGIN:.0f} s.",
            min_steps=config.min_steps,
            planned_steps=planned,
            step_seconds=step_seconds,
        )
    return planned


class _Order:
    """Sample indices in reshuffled epochs, cut into batches (a batch may span two epochs)."""

    def __init__(self, count: int, batch_size: int, gen: torch.Generator) -> None:
        self.count, self.batch_size, self.gen = count, batch_size, gen
        self.queue = torch.empty(0, dtype=torch.int64)

    def next(self) -> torch.Tensor:
        while len(self.queue) < self.batch_size:
            self.queue = torch.cat([self.queue, torch.randperm(self.count, generator=self.gen)])
        batch, self.queue = self.queue[: self.batch_size], self.queue[self.batch_size :]
        return batch
