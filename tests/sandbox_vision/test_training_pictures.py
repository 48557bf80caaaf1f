"""A training run's downloaded pictures: shrunk, kept in a temporary file, loaded one at a time,
so a dataset of thousands of phone photos does not fill the memory (docs/sandbox.md, "Memory")."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from sandbox.vision import conf
from sandbox.vision.fetch import Access, FetchError, fetch_images
from tests.sandbox_vision.conftest import jpeg

pytestmark = pytest.mark.django_db(transaction=True)


def test_big_photos_come_back_shrunk_from_a_file_one_at_a_time(folder, tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    folder.put_image("big/wide.jpg", jpeg((2400, 1800), (30, 160, 60)))
    folder.put_image("big/tall.jpg", jpeg((300, 1000), (200, 40, 40)))
    folder.put_image("big/small.png", _png((80, 60)))
    urls = [folder.link(f"big/{name}", signed=True) for name in ("wide.jpg", "tall.jpg", "small.png")]

    loaders = fetch_images(urls, Access())

    assert all(callable(load) and not isinstance(load, Image.Image) for load in loaders)
    wide, tall, small = (load() for load in loaders)
    assert conf.TRAINING_PICTURE_SIDE == 640
    assert wide.size == (640, 480) and tall.size == (192, 640) and small.size == (80, 60)
    assert wide.mode == "RGB" and abs(wide.getpixel((320, 240))[1] - 160) < 8
    assert abs(tall.getpixel((96, 320))[0] - 200) < 8
    assert list(tmp_path.iterdir()) == []  # the file has no name: nothing is left behind
    assert loaders[0]().size == (640, 480)  # read again, the same


def test_a_picture_that_is_not_one_still_fails_the_download(folder):
    folder.put_image("bad/ok.jpg", jpeg((50, 50)))
    folder.put_image("bad/broken.jpg", jpeg((400, 300))[:200])
    urls = [folder.link(f"bad/{name}", signed=True) for name in ("ok.jpg", "broken.jpg")]
    with pytest.raises(FetchError, match="broken.jpg: is not a readable image"):
        fetch_images(urls, Access())


def _png(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(out, "PNG")
    return out.getvalue()
