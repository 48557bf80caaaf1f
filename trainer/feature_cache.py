"""Features of a frozen backbone, computed once before the steps: the plain pictures, then whole
rounds of augmented views while they fit a share of the budget and the memory cap. The plain
view is always kept: past the cap, in a temporary file (trainer/spill.py).

On a CPU the frozen part of the network is most of a step's cost, so training the rest on cached
features buys many more steps in the same budget than running the whole network every step.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from trainer import spill
from trainer.errors import NotEnoughBudget

CACHE_BYTES = 1 << 30  # at most this much cached feature memory (float16)
CHUNK = 8  # pictures per forward pass
# Every picture is loaded, and its plain view cached, whatever the budget; when either pass would
# end past this share of the budget, the run stops early and says what budget would do.
PLAIN_VIEW_SHARE = 0.8


@dataclass
class CacheContext:
    """What caching needs from the run: device, random draws, augmentation, the clock, cancel."""

    device: torch.device
    gen: torch.Generator
    augment: float
    channel_swap: float
    budget: float
    elapsed: Callable[[], float]
    check_stop: Callable[[int], None]
    report: Callable[[int, int, str], None]


@dataclass
class Cached:
    features: dict[Any, torch.Tensor]  # float16 [count * views, ...] per key, view-major
    extras: list[Any]  # per cached row, what the view function returned with it (e.g. boxes)
    count: int  # pictures
    views: int  # cached views per picture

    def rows(self, indices: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """A random cached view of each picture in ``indices``."""
        return torch.randint(self.views, (len(indices),), generator=gen) * self.count + indices

    def batch(self, rows: torch.Tensor, device: torch.device) -> dict[Any, torch.Tensor]:
        return {k: f[rows].to(device).float() for k, f in self.features.items()}


def build(
    count: int,
    views: int,
    share: float,
    context: CacheContext,
    view: Callable[[torch.Tensor, int], tuple[torch.Tensor, list[Any]]],
    extract: Callable[[torch.Tensor], dict[Any, torch.Tensor]],
) -> Cached:
    """Cache ``extract(x)`` for ``x, extras = view(indices, round)``: round 0, then more rounds
    (up to ``views``) while the next one fits ``share`` of the budget and CACHE_BYTES."""
    store: dict[Any, torch.Tensor] = {}
    extras: list[Any] = []
    began, done, fitting = context.elapsed(), 0, 1
    while done < fitting:
        round_began = time.monotonic()
        for start in range(0, count, CHUNK):
            context.check_stop(0)
            context.report(
                done * count + start, views * count, f"Computing backbone features (view {done + 1})"
            )
            x, found = view(torch.arange(start, min(start + CHUNK, count)), done)
            with torch.inference_mode():
                maps = extract(x)
            if not store:
                row_bytes = sum(m[0].numel() * 2 for m in maps.values())
                fitting = max(1, min(views, CACHE_BYTES // (count * row_bytes)))
                store = {
                    k: spill.empty((fitting * count, *m.shape[1:]), torch.float16, CACHE_BYTES)
                    for k, m in maps.items()
                }  # untouched rows cost no memory; past CACHE_BYTES (the plain view only), a file
            row = done * count + start
            for key, value in maps.items():
                store[key][row : row + len(value)] = value.half().cpu()
            extras.extend(found)
            if done == 0:
                check_pace(
                    context, round_began, min(start + CHUNK, count), count, "Computing the features of"
                )
        done += 1
        round_seconds = time.monotonic() - round_began
        if context.elapsed() - began + round_seconds > share * context.budget:
            break
    return Cached({k: s[: done * count] for k, s in store.items()}, extras, count, done)


def check_pace(context: CacheContext, began: float, done: int, count: int, doing: str) -> None:
    """NotEnoughBudget as soon as the pace of a pass over every picture (loading them, caching
    their plain view) says it would end past PLAIN_VIEW_SHARE of the budget; judged after two
    chunks, so the first one's warm-up does not decide."""
    if done < 2 * CHUNK or done >= count:
        return
    ends = context.elapsed() + (time.monotonic() - began) / done * (count - done)
    if ends > PLAIN_VIEW_SHARE * context.budget:
        enough = math.ceil(ends / 0.6 / 10) * 10  # room for a few augmented views and the steps
        raise NotEnoughBudget(
            f"{doing} {count} pictures takes about {ends:.0f} s on this machine, more than a "
            f"{context.budget:g} s budget leaves for it: allow at least {enough} s, or train on fewer "
            "pictures.",
            min_steps=0,
            planned_steps=0,
            step_seconds=0.0,
        )
