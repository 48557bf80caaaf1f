"""TinyCenterNet: a small anchor-free detector (160 px input, stride-4 output, light shared head).

The backbone is conv-BN-ReLU at strides 2, 4, 8 and 16; a top-down path (nearest upsampling plus
concatenation) brings it back to stride 4, where one shared 3x3 trunk feeds a 1x1 layer giving a
class heatmap (focal loss), log box size (L1, weight 0.5) and a sub-pixel centre offset (L1).
Training augmentation is a random zoom 0.6-1.4 with aspect jitter and shift, a horizontal flip,
colour jitter, channel swaps and noise, applied to whole batches with ``grid_sample``; a box
survives when at least 45 % of it stays in view.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image
from torch import nn

from trainer.data import Sample
from trainer.imaging import affine, colour_jitter, normalise, to_uint8

INPUT_SIZE = 160
STRIDE = 4
DEFAULT_ARCH = {"width": 16, "head": 32}
MIN_VISIBLE = 0.45
_PRIOR_BIAS = -2.19  # sigmoid(-2.19) = 0.1, the usual CenterNet start


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class TinyCenterNet(nn.Module):
    def __init__(self, num_classes: int, width: int = 16, head: int = 32) -> None:
        super().__init__()
        w = width
        self.num_classes = num_classes
        self.s2 = nn.Sequential(_conv(3, w, 2), _conv(w, w))
        self.s4 = nn.Sequential(_conv(w, 2 * w, 2), _conv(2 * w, 2 * w))
        self.s8 = nn.Sequential(_conv(2 * w, 4 * w, 2), _conv(4 * w, 4 * w))
        self.s16 = nn.Sequential(_conv(4 * w, 8 * w, 2), _conv(8 * w, 8 * w))
        self.up8 = _conv(8 * w + 4 * w, 4 * w)
        self.up4 = _conv(4 * w + 2 * w, head)
        self.trunk = _conv(head, head)
        self.out = nn.Conv2d(head, num_classes + 4, 1)
        with torch.no_grad():
            self.out.bias.zero_()
            self.out.bias[:num_classes] = _PRIOR_BIAS

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, C + 4, H/4, W/4]``: class logits, then log(w), log(h), offset x, offset y."""
        c4 = self.s4(self.s2(x))
        c8 = self.s8(c4)
        c16 = self.s16(c8)
        up = nn.functional.interpolate(c16, scale_factor=2.0, mode="nearest")
        p8 = self.up8(torch.cat([up, c8], 1))
        up = nn.functional.interpolate(p8, scale_factor=2.0, mode="nearest")
        return self.out(self.trunk(self.up4(torch.cat([up, c4], 1))))


def input_size(arch: dict) -> int:
    return INPUT_SIZE


def build(num_classes: int, arch: dict) -> nn.Module:
    return TinyCenterNet(num_classes, **{k: v for k, v in arch.items() if k != "backbone"})


@dataclass
class Prepared:
    images: torch.Tensor  # uint8 [N, 3, S, S]
    boxes: list[np.ndarray]  # per image [K, 5]: class, left, top, width, height (relative)
    num_classes: int


def prepare(
    samples: Sequence[Sample], load: Callable[[int], Image.Image], num_classes: int, size: int = INPUT_SIZE
) -> Prepared:
    images = to_uint8(load, len(samples), size)
    boxes = [np.array(s.boxes, dtype=np.float64).reshape(-1, 5) for s in samples]
    return Prepared(images, boxes, num_classes)


def _transform_boxes(
    boxes: np.ndarray, flip: float, sx: float, sy: float, tx: float, ty: float
) -> np.ndarray:
    """Map relative boxes through x' = flip*sx*x + tx (in [-1, 1] units); drop mostly hidden ones."""
    if not len(boxes):
        return boxes
    x1, x2 = 2 * boxes[:, 1] - 1, 2 * (boxes[:, 1] + boxes[:, 3]) - 1
    y1, y2 = 2 * boxes[:, 2] - 1, 2 * (boxes[:, 2] + boxes[:, 4]) - 1
    if flip < 0:
        x1, x2 = -x2, -x1
    x1, x2 = sx * x1 + tx, sx * x2 + tx
    y1, y2 = sy * y1 + ty, sy * y2 + ty
    cx1, cx2, cy1, cy2 = (np.clip(v, -1, 1) for v in (x1, x2, y1, y2))
    visible = np.clip(cx2 - cx1, 0, None) * np.clip(cy2 - cy1, 0, None) / ((x2 - x1) * (y2 - y1))
    keep = visible >= MIN_VISIBLE
    out = np.stack([boxes[:, 0], (cx1 + 1) / 2, (cy1 + 1) / 2, (cx2 - cx1) / 2, (cy2 - cy1) / 2], 1)
    return out[keep]


@dataclass
class Targets:
    heat: torch.Tensor  # [B, C, H, W] Gaussian peaks
    index: torch.Tensor  # [B, M] flat centre cell per object
    mask: torch.Tensor  # [B, M] 1 for a real object
    size: torch.Tensor  # [B, M, 2] log(w), log(h) in output cells
    offset: torch.Tensor  # [B, M, 2] sub-cell centre offset

    def to(self, device: torch.device) -> Targets:
        return Targets(*(t.to(device) for t in vars(self).values()))


def make_targets(boxes: Sequence[np.ndarray], num_classes: int, out_size: int) -> Targets:
    count, most = len(boxes), max(1, max(len(b) for b in boxes))
    heat = np.zeros((count, num_classes, out_size, out_size), np.float32)
    index = np.zeros((count, most), np.int64)
    mask = np.zeros((count, most), np.float32)
    size = np.zeros((count, most, 2), np.float32)
    offset = np.zeros((count, most, 2), np.float32)
    grid = np.arange(out_size, dtype=np.float32)
    for b, image_boxes in enumerate(boxes):
        for k, (cls, left, top, width, height) in enumerate(image_boxes):
            w, h = width * out_size, height * out_size
            cx, cy = (left + width / 2) * out_size, (top + height / 2) * out_size
            ix, iy = min(int(cx), out_size - 1), min(int(cy), out_size - 1)
            sigma = max((w + h) / 2 / 6, 0.35)
            gx = np.exp(-((grid - ix) ** 2) / (2 * sigma**2))
            gy = np.exp(-((grid - iy) ** 2) / (2 * sigma**2))
            np.maximum(heat[b, int(cls)], np.outer(gy, gx), out=heat[b, int(cls)])
            index[b, k], mask[b, k] = iy * out_size + ix, 1.0
            size[b, k] = np.log(max(w, 1e-3)), np.log(max(h, 1e-3))
            offset[b, k] = cx - ix, cy - iy
    return Targets(*(torch.from_numpy(a) for a in (heat, index, mask, size, offset)))


def augmented(
    data: Prepared,
    indices: torch.Tensor,
    gen: torch.Generator,
    device: torch.device,
    *,
    augment: float,
    channel_swap: float,
    to_input: Callable[[torch.Tensor], torch.Tensor] = normalise,
) -> tuple[torch.Tensor, list[np.ndarray]]:
    """Augmented inputs and their boxes; ``augment`` scales the ranges (1.0 = zoom 0.6-1.4)."""
    count, a = len(indices), augment
    x = to_input(data.images[indices].to(device))
    params = torch.rand(count, 6, generator=gen, dtype=torch.float64).numpy()
    theta = torch.zeros(count, 2, 3)
    boxes = []
    for row, (index, p) in enumerate(zip(indices.tolist(), params, strict=True)):
        zoom, aspect = 1 + 0.4 * a * (2 * p[0] - 1), np.sqrt(1 + 0.15 * a * (2 * p[1] - 1))
        sx, sy = zoom * aspect, zoom / aspect
        flip = -1.0 if p[2] < 0.5 else 1.0
        tx = (2 * p[3] - 1) * (abs(sx - 1) + 0.1 * a)
        ty = (2 * p[4] - 1) * (abs(sy - 1) + 0.1 * a)
        theta[row, 0, 0], theta[row, 0, 2] = flip / sx, -flip * tx / sx
        theta[row, 1, 1], theta[row, 1, 2] = 1 / sy, -ty / sy
        boxes.append(_transform_boxes(data.boxes[index], flip, sx, sy, tx, ty))
    x = affine(x, theta.to(device))
    return colour_jitter(x, gen, strength=a, permute=channel_swap), boxes


def make_batch(
    data: Prepared,
    indices: torch.Tensor,
    gen: torch.Generator,
    device: torch.device,
    *,
    augment: float,
    channel_swap: float,
) -> tuple[torch.Tensor, Targets]:
    """An augmented batch and its CenterNet targets."""
    x, boxes = augmented(data, indices, gen, device, augment=augment, channel_swap=channel_swap)
    targets = make_targets(boxes, data.num_classes, INPUT_SIZE // STRIDE)
    return x, targets.to(device)


def loss(outputs: torch.Tensor, targets: Targets) -> torch.Tensor:
    """Focal heatmap loss + 0.5 * L1 log-size + L1 offset, each per object."""
    num_classes = targets.heat.shape[1]
    logits = outputs[:, :num_classes].float()
    gt = targets.heat
    pos = gt.eq(1.0).float()
    log_p = nn.functional.logsigmoid(logits)
    log_not_p = nn.functional.logsigmoid(-logits)
    p = torch.sigmoid(logits)
    focal = -(pos * (1 - p) ** 2 * log_p + (1 - pos) * (1 - gt) ** 4 * p**2 * log_not_p).sum()
    objects = targets.mask.sum().clamp(min=1.0)
    batch, _, height, width = outputs.shape
    regress = outputs[:, num_classes:].float().reshape(batch, 4, height * width)
    gathered = regress.gather(2, targets.index.unsqueeze(1).expand(-1, 4, -1)).permute(0, 2, 1)
    mask = targets.mask.unsqueeze(2)
    size_loss = ((gathered[..., :2] - targets.size).abs() * mask).sum()
    offset_loss = ((gathered[..., 2:] - targets.offset).abs() * mask).sum()
    return (focal + 0.5 * size_loss + offset_loss) / objects


def detect(
    net: nn.Module,
    images: Sequence[Image.Image],
    device: torch.device,
    *,
    top: int = 100,
    threshold: float = 0.01,
    batch_size: int = 32,
    size: int = INPUT_SIZE,
    to_input: Callable[[torch.Tensor], torch.Tensor] = normalise,
) -> list[np.ndarray]:
    """Per image ``[K, 6]`` rows of class, score, left, top, width, height (relative), best first."""
    net.eval()
    results: list[np.ndarray] = []
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            chunk = images[start : start + batch_size]
            x = to_input(to_uint8(chunk.__getitem__, len(chunk), size).to(device))
            results.extend(decode(net(x).float(), net.num_classes, top=top, threshold=threshold))
    return results


def decode(outputs: torch.Tensor, num_classes: int, *, top: int, threshold: float) -> list[np.ndarray]:
    """Peaks of the heatmap (3x3 max-pool), top-``top`` over classes and cells, to relative boxes."""
    batch, _, height, width = outputs.shape
    heat = torch.sigmoid(outputs[:, :num_classes])
    peaks = heat * (nn.functional.max_pool2d(heat, 3, 1, 1) == heat)
    scores, flat = peaks.reshape(batch, -1).topk(min(top, num_classes * height * width))
    cls = flat // (height * width)
    cell = flat % (height * width)
    ys, xs = (cell // width).float(), (cell % width).float()
    regress = outputs[:, num_classes:].reshape(batch, 4, -1)
    picked = regress.gather(2, cell.unsqueeze(1).expand(-1, 4, -1))
    w, h = picked[:, 0].exp() / width, picked[:, 1].exp() / height
    cx, cy = (xs + picked[:, 2]) / width, (ys + picked[:, 3]) / height
    rows = torch.stack([cls.float(), scores, cx - w / 2, cy - h / 2, w, h], 2).cpu().numpy()
    return [r[r[:, 1] >= threshold] for r in rows]


def nms(rows: np.ndarray, iou: float = 0.5) -> np.ndarray:
    """Per-class greedy non-maximum suppression over ``[K, 6]`` rows sorted by score."""
    keep: list[int] = []
    for cls in np.unique(rows[:, 0]):
        members = np.nonzero(rows[:, 0] == cls)[0]
        boxes = rows[members, 2:6]
        x1, y1 = boxes[:, 0], boxes[:, 1]
        x2, y2 = x1 + boxes[:, 2], y1 + boxes[:, 3]
        area = boxes[:, 2] * boxes[:, 3]
        alive = np.ones(len(members), bool)
        for i in range(len(members)):
            if not alive[i]:
                continue
            keep.append(int(members[i]))
            overlap = np.clip(np.minimum(x2[i], x2) - np.maximum(x1[i], x1), 0, None) * np.clip(
                np.minimum(y2[i], y2) - np.maximum(y1[i], y1), 0, None
            )
            union = area[i] + area - overlap
            alive &= ~(overlap > iou * np.maximum(union, 1e-12))
            alive[i] = False
    keep.sort(key=lambda k: -rows[k, 1])
    return rows[keep]


def to_pixels(rows: np.ndarray, width: int, height: int) -> list[tuple[int, float, int, int, int, int]]:
    """Relative rows to integer pixel boxes (class, score, x, y, w, h) clipped to the image."""
    out = []
    for cls, score, left, top, w, h in rows:
        x0, y0 = max(0, round(left * width)), max(0, round(top * height))
        x1, y1 = min(width, round((left + w) * width)), min(height, round((top + h) * height))
        if x1 > x0 and y1 > y0:
            out.append((int(cls), float(score), x0, y0, x1 - x0, y1 - y0))
    return out
