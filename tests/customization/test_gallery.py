"""The dataset gallery through a real worker, the Vision sandbox and the local blob store over HTTP."""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from PIL import Image

from customization.services.drawing import class_colour
from customization.services.gallery import Access, Unreadable, fetch
from jobs.models import Job
from tests.conftest import connect_to_sandbox, login
from tests.customization.test_flow import _register
from workspaces.storage import storage_for

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE = "<script>alert(1)</script>"
GREY = (128, 128, 128)
BOX = (0.25, 0.2, 0.5, 0.6)  # relative x, y, w, h of every image's "ball"


@pytest.fixture
def sandboxed(tx_personas, live_server):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    return tx_personas


def _png(size: tuple[int, int] = (200, 150)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, GREY).save(out, "PNG")
    return out.getvalue()


def put_dataset(personas, folder: str, count: int = 27, make: Callable[[int], bytes] | None = None) -> dict:
    """``count`` images (grey unless ``make``) in the workspace storage, each with a ball; every third also
    a hostile category."""
    _, store = storage_for(personas.workspace)
    store.create_container()
    images, annotations = [], []
    for n in range(1, count + 1):
        store.put(f"{folder}/img-{n}.png", make(n) if make else _png(), "image/png")
        images.append(
            {
                "id": n,
                "width": 200,
                "height": 150,
                "file_name": f"<b>pic</b>-{n}.png",
                "coco_url": store.url(f"{folder}/img-{n}.png"),
            }
        )
        annotations.append({"id": len(annotations) + 1, "image_id": n, "category_id": 1, "bbox": list(BOX)})
        if n % 3 == 0:
            annotations.append(
                {"id": len(annotations) + 1, "image_id": n, "category_id": 2, "bbox": [0.05, 0.05, 0.1, 0.1]}
            )
    coco = {
        "images": images,
        "annotations": annotations,
        "categories": [{"id": 1, "name": "ball"}, {"id": 2, "name": HOSTILE}],
    }
    store.put(f"{folder}/train.json", json.dumps(coco).encode(), "application/json")
    return coco


@pytest.fixture
def dataset(sandboxed, celery_worker):
    put_dataset(sandboxed, "gal")
    job = _register(sandboxed, "gal-ds", "gal/train.json")
    assert job.status == Job.Status.SUCCEEDED, (job.error_message, job.result)
    return sandboxed


def _page_url(personas, name: str = "gal-ds") -> str:
    return reverse("customization:dataset", kwargs={"ws_id": personas.workspace.pk, "name": name})


def _thumb_urls(html: str) -> list[str]:
    return [
        u.replace("&amp;", "&") for u in re.findall(r'<img src="([^"]+/gallery/\d+\.jpg\?v=[0-9a-f]+)"', html)
    ]


def _cache_folder(personas, name: str = "gal-ds") -> Path:
    return Path(settings.VAR_DIR) / "gallery" / str(personas.workspace.pk) / name


def test_it_pages_filters_by_category_and_escapes_hostile_names(client, dataset):
    login(client, dataset.bob)
    html = client.get(_page_url(dataset)).content.decode()
    assert len(_thumb_urls(html)) == 24
    assert "27 images" in html
    assert "1–24 of 27" in html
    assert 'rel="next"' in html and 'rel="prev"' not in html
    assert HOSTILE not in html and "<b>pic</b>" not in html  # category and file names are escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b&gt;pic&lt;/b&gt;-1.png" in html
    assert len(list(_cache_folder(dataset).glob("*/index.json"))) == 1
    # The parsed COCO is cached: later views no longer read the annotation file.
    _, store = storage_for(dataset.workspace)
    store.delete("gal/train.json")

    second = client.get(_page_url(dataset), {"page": 2}).content.decode()
    assert len(_thumb_urls(second)) == 3
    assert "25–27 of 27" in second and 'rel="prev"' in second and 'rel="next"' not in second

    filtered = client.get(_page_url(dataset), {"category": HOSTILE}).content.decode()
    ids = [int(i) for i in re.findall(r"/gallery/(\d+)\.jpg", filtered)]
    assert ids == [3, 6, 9, 12, 15, 18, 21, 24, 27]
    assert "9 of 27 images contain" in filtered
    assert HOSTILE not in filtered

    partial = client.get(_page_url(dataset), {"page": 2}, headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<section class="card ds-gallery" id="gallery"')
    assert "<html" not in partial and len(_thumb_urls(partial)) == 3


def test_it_draws_boxes_in_the_class_colour_and_serves_cached_thumbnails(client, dataset):
    login(client, dataset.bob)
    urls = _thumb_urls(client.get(_page_url(dataset)).content.decode())
    first = client.get(urls[0])
    assert first.status_code == 200
    assert first["Content-Type"] == "image/jpeg"
    assert "max-age" in first["Cache-Control"] and "private" in first["Cache-Control"]
    picture = Image.open(io.BytesIO(first.content))
    assert picture.format == "JPEG"
    assert picture.size == (320, 240)  # small images are enlarged to the thumbnail side
    x, y, w, h = (round(v * s) for v, s in zip(BOX, (320, 240, 320, 240), strict=True))
    edge = picture.getpixel((x + 1, y + h // 2))
    assert all(abs(a - b) <= 40 for a, b in zip(edge, class_colour("ball"), strict=True)), edge
    inside = picture.getpixel((x + w // 2, y + h // 2))
    assert all(abs(a - b) <= 12 for a, b in zip(inside, GREY, strict=True)), inside
    assert picture.getpixel((x - 6, y + h // 2)) == pytest.approx(GREY, abs=12)  # nothing drawn outside

    cached = next(_cache_folder(dataset).glob("*/1.jpg"))
    assert cached.read_bytes() == first.content
    # The source is gone: the second request can only come from the cache.
    _, store = storage_for(dataset.workspace)
    store.delete("gal/img-1.png")
    again = client.get(urls[0])
    assert again.status_code == 200 and again.content == first.content
    assert "X-Gallery-Problem" not in again
    # Without the version in the URL the dataset is looked up again, and the cache still serves.
    assert client.get(urls[0].split("?")[0]).content == first.content


def test_an_unreadable_image_gets_a_placeholder_that_says_why(client, dataset):
    login(client, dataset.bob)
    urls = _thumb_urls(client.get(_page_url(dataset)).content.decode())
    _, store = storage_for(dataset.workspace)
    store.delete("gal/img-2.png")
    store.put("gal/img-3.png", b"this is not a picture", "image/png")
    missing, garbage = client.get(urls[1]), client.get(urls[2])
    for response in (missing, garbage):
        assert response.status_code == 200
        assert Image.open(io.BytesIO(response.content)).size == (320, 240)
        assert response["Cache-Control"] == "private, max-age=30"
    assert "404" in missing["X-Gallery-Problem"] and "BlobNotFound" in missing["X-Gallery-Problem"]
    assert "Not an image" in garbage["X-Gallery-Problem"]
    assert not list(_cache_folder(dataset).glob("*/2.jpg"))  # placeholders are not cached


def test_outsiders_and_unknown_image_ids_get_404(client, dataset):
    login(client, dataset.bob)
    urls = _thumb_urls(client.get(_page_url(dataset)).content.decode())
    kwargs = {"ws_id": dataset.workspace.pk, "name": "gal-ds"}
    assert (
        client.get(reverse("customization:dataset_thumbnail", kwargs={**kwargs, "image_id": 999})).status_code
        == 404
    )
    assert (
        client.get(
            reverse("customization:dataset_thumbnail", kwargs={**kwargs, "name": "nope", "image_id": 1})
        ).status_code
        == 404
    )
    login(client, dataset.charlie)
    assert client.get(_page_url(dataset)).status_code == 404
    assert client.get(urls[0]).status_code == 404


def test_deleting_the_dataset_drops_its_cache(client, dataset):
    login(client, dataset.alice)
    client.get(_thumb_urls(client.get(_page_url(dataset)).content.decode())[0])
    assert _cache_folder(dataset).is_dir()
    response = client.post(
        reverse("customization:dataset_delete", kwargs={"ws_id": dataset.workspace.pk, "name": "gal-ds"})
    )
    assert response.status_code == 302
    assert not _cache_folder(dataset).exists()


def test_an_unreadable_annotation_file_is_explained_on_the_page(client, dataset):
    _, store = storage_for(dataset.workspace)
    store.delete("gal/train.json")
    login(client, dataset.bob)
    response = client.get(_page_url(dataset))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="gallery-error"' in html
    assert "Cannot read the annotation file" in html and "404" in html
    assert "sig=" not in html  # the SAS never reaches the page


@pytest.mark.parametrize(
    ("content", "sentence"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nests lists or objects too deeply"),
        (b"{not json", "is not valid JSON"),
    ],
    ids=["deep", "broken"],
)
def test_an_annotation_file_that_is_not_coco_json_is_explained_on_the_page(
    client, dataset, content, sentence
):
    _, store = storage_for(dataset.workspace)
    store.put("gal/train.json", content, "application/json")
    login(client, dataset.bob)
    response = client.get(_page_url(dataset))
    assert response.status_code == 200
    assert 'id="gallery-error"' in response.content.decode() and sentence in response.content.decode()


def test_an_expired_sas_is_named_as_the_reason(sandboxed):
    _, store = storage_for(sandboxed.workspace)
    store.create_container()
    store.put("x/a.png", _png(), "image/png")
    base = store.url("x")[:-1]
    assert fetch(store.url("x/a.png"), Access(base, store.container_sas(expires_in=60)), 10_000_000) == _png()
    with pytest.raises(Unreadable, match="SAS token expired"):
        fetch(store.url("x/a.png"), Access(base, store.container_sas(expires_in=-5)), 10_000_000)
    # A URL outside the workspace's container never gets its SAS.
    assert (
        Access(base, "se=1&sig=s").token.sign("http://127.0.0.1:9/elsewhere.png")
        == "http://127.0.0.1:9/elsewhere.png"
    )


def test_a_classification_thumbnail_shows_its_label_in_the_class_colour(client, sandboxed, celery_worker):
    _, store = storage_for(sandboxed.workspace)
    store.create_container()
    images = []
    for n in range(1, 5):
        store.put(f"cls/{n}.png", _png(), "image/png")
        images.append(
            {
                "id": n,
                "width": 200,
                "height": 150,
                "file_name": f"{n}.png",
                "coco_url": store.url(f"cls/{n}.png"),
            }
        )
    coco = {
        "images": images,
        "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
        "annotations": [{"id": n, "image_id": n, "category_id": 1 + n % 2} for n in range(1, 5)],
    }
    store.put("cls/train.json", json.dumps(coco).encode(), "application/json")
    job = _register(sandboxed, "cls-ds", "cls/train.json", kind="imageClassification")
    assert job.status == Job.Status.SUCCEEDED, (job.error_message, job.result)
    login(client, sandboxed.bob)
    html = client.get(_page_url(sandboxed, "cls-ds")).content.decode()
    assert "4 images" in html
    picture = Image.open(io.BytesIO(client.get(_thumb_urls(html)[0]).content))  # image 1: dog
    chip = picture.getpixel((6, picture.height - 8))
    assert all(abs(a - b) <= 40 for a, b in zip(chip, class_colour("dog"), strict=True)), chip


def test_local_storage_is_read_in_process_never_over_http_to_this_app(client, dataset, monkeypatch):
    """gunicorn has 8 threads: a page of 24 thumbnails that each fetched /blobs/ from this same app
    held every thread waiting on itself, and the whole web hung (seen on `make run`)."""

    def no_http(*args, **kwargs):
        raise AssertionError(f"the gallery made an HTTP request: {args[:1]}")

    import outbound.reader

    monkeypatch.setattr(outbound.reader.requests, "get", no_http)
    shutil.rmtree(_cache_folder(dataset), ignore_errors=True)
    login(client, dataset.bob)
    page = client.get(_page_url(dataset))
    assert 'id="gallery-error"' not in page.content.decode()
    urls = _thumb_urls(page.content.decode())
    assert len(urls) == 24
    for url in urls[:3]:
        response = client.get(url)
        assert response.status_code == 200
        assert "X-Gallery-Problem" not in response, response.get("X-Gallery-Problem")
