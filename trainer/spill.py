"""What may outgrow memory, kept in temporary files: tensors past a cap, downloaded pictures.

A file-backed tensor is a numpy memmap of an unnamed file in the temporary folder (``TMPDIR``;
set it to a disk folder where /tmp is a RAM disk): the operating system keeps the pages it can in
its cache and writes the rest to disk, so a training on tens of thousands of pictures is bounded
by the disk, not the memory. The file loses its name as soon as it is mapped, so nothing is left behind when
the worker stops, however it stops.
"""

from __future__ import annotations

import functools
import math
import os
import tempfile
import threading
from collections.abc import Callable

import numpy as np
import torch
from PIL import Image

_PREFIX = "visionport-trainer-"
_NUMPY = {torch.uint8: np.uint8, torch.float16: np.float16, torch.float32: np.float32}


def empty(shape: tuple[int, ...], dtype: torch.dtype, cap: int) -> torch.Tensor:
    """An uninitialised tensor: in memory when it takes at most ``cap`` bytes, else file-backed."""
    nbytes = math.prod(shape) * torch.empty((), dtype=dtype).element_size()
    if nbytes <= cap:
        return torch.empty(shape, dtype=dtype)
    descriptor, path = tempfile.mkstemp(prefix=_PREFIX)
    try:
        with os.fdopen(descriptor, "r+b") as handle:
            handle.truncate(nbytes)
            array = np.memmap(handle, dtype=_NUMPY[dtype], mode="r+", shape=shape)  # its own mapping
    finally:
        os.unlink(path)  # the mapping keeps the file until the tensor is freed
    return torch.from_numpy(array)


def in_file(tensor: torch.Tensor) -> bool:
    """Whether ``tensor``'s memory is one of these files (read from /proc/self/maps: Linux only)."""
    address = tensor.untyped_storage().data_ptr()
    with open("/proc/self/maps") as maps:
        for line in maps:
            if _PREFIX in line:
                low, high = (int(part, 16) for part in line.split()[0].split("-"))
                if low <= address < high:
                    return True
    return False


class PictureFile:
    """RGB pictures appended to one unnamed temporary file and read back one at a time, so a run
    over tens of thousands of downloaded pictures holds none of them in memory (the operating
    system's cache keeps what it can). ``add`` is safe from several threads."""

    def __init__(self) -> None:
        descriptor, path = tempfile.mkstemp(prefix=_PREFIX)
        os.unlink(path)
        self._descriptor, self._end, self._lock = descriptor, 0, threading.Lock()

    def add(self, picture: Image.Image) -> Callable[[], Image.Image]:
        """Store ``picture`` (as RGB); returns what loads it back."""
        data = picture.convert("RGB").tobytes()
        with self._lock:
            offset, self._end = self._end, self._end + len(data)
        os.pwrite(self._descriptor, data, offset)
        return functools.partial(self._read, offset, picture.size)

    def _read(self, offset: int, size: tuple[int, int]) -> Image.Image:
        data = os.pread(self._descriptor, size[0] * size[1] * 3, offset)
        return Image.frombytes("RGB", size, data)

    @property
    def nbytes(self) -> int:
        return self._end

    def __del__(self) -> None:
        os.close(self._descriptor)
