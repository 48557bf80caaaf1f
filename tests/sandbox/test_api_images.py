"""Images through the official SDK: uploads, labels, paging, counts and signed URLs."""

from __future__ import annotations

import io
import time

import pytest
import requests
from azure.cognitiveservices.vision.customvision.training.models import (
    ImageFileCreateBatch,
    ImageFileCreateEntry,
    ImageIdCreateBatch,
    ImageRegionCreateEntry,
    ImageTagCreateEntry,
    ImageUrlCreateBatch,
    ImageUrlCreateEntry,
    Region,
)
from PIL import Image

from tests.sandbox.conftest import DETECTION_GENERAL, api_url, key_headers, picture

pytestmark = pytest.mark.django_db(transaction=True)


def _upload_files(client, project_id, datas, tag_ids=None):
    entries = [
        ImageFileCreateEntry(name=f"f{i}.jpg", contents=d, tag_ids=tag_ids) for i, d in enumerate(datas)
    ]
    return client.create_images_from_files(project_id, ImageFileCreateBatch(images=entries))


def test_it_takes_multipart_uploads_from_the_sdk_byte_for_byte(client):
    project = client.create_project("Pets")
    cat = client.create_tag(project.id, "cat")
    data = picture(1, "PNG", size=(70, 50))
    summary = client.create_images_from_data(project.id, data, tag_ids=[cat.id])
    assert summary.is_batch_successful
    (result,) = summary.images
    assert result.status == "OK"
    image = result.image
    assert (image.width, image.height) == (70, 50)
    assert [(t.tag_id, t.tag_name) for t in image.tags] == [(cat.id, "cat")]
    assert image.regions is None
    assert requests.get(image.original_image_uri, timeout=10).content == data
    thumb = Image.open(io.BytesIO(requests.get(image.thumbnail_uri, timeout=10).content))
    assert thumb.format == "JPEG" and max(thumb.size) <= 200
    assert requests.get(image.resized_image_uri, timeout=10).status_code == 200
    assert client.get_tag(project.id, cat.id).image_count == 1


def test_it_answers_207_with_a_status_per_image(client, sandbox_url):
    project = client.create_project("Mixed")
    good, duplicate = picture(2), picture(2)
    summary = _upload_files(client, project.id, [good, b"not an image", duplicate])
    assert not summary.is_batch_successful
    assert [r.status for r in summary.images] == ["OK", "ErrorImageFormat", "OKDuplicate"]
    assert summary.images[2].image.id == summary.images[0].image.id
    assert [r.source_url for r in summary.images] == ["f0.jpg", "f1.jpg", "f2.jpg"]
    raw = requests.post(
        api_url(sandbox_url, f"projects/{project.id}/images"),
        data=b"GIF89a broken",
        headers={**key_headers(), "Content-Type": "application/octet-stream"},
        timeout=10,
    )
    assert raw.status_code == 207
    assert raw.json()["images"][0]["status"] == "ErrorImageFormat"
    assert client.get_image_count(project.id) == 1


def test_it_takes_octet_stream_bodies_and_urls(client, sandbox_url):
    project = client.create_project("Raw")
    data = picture(3)
    response = requests.post(
        api_url(sandbox_url, f"projects/{project.id}/images"),
        data=data,
        headers={**key_headers(), "Content-Type": "application/octet-stream"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    first = response.json()["images"][0]["image"]
    assert first["created"].endswith("Z") and "T" in first["created"]

    other = client.create_project("Copied")
    batch = ImageUrlCreateBatch(
        images=[
            ImageUrlCreateEntry(url=first["originalImageUri"]),
            ImageUrlCreateEntry(url=f"{sandbox_url}/blobs/sandbox/images/original/missing.jpg"),
        ]
    )
    summary = client.create_images_from_urls(other.id, batch)
    assert [r.status for r in summary.images] == ["OK", "ErrorSource"]
    copied = summary.images[0].image
    assert requests.get(copied.original_image_uri, timeout=10).content == data


def test_it_stores_regions_and_lists_their_tags(client):
    project = client.create_project("Boxes", domain_id=DETECTION_GENERAL)
    ball = client.create_tag(project.id, "ball")
    cube = client.create_tag(project.id, "cube")
    entry = ImageFileCreateEntry(
        name="a",
        contents=picture(4),
        regions=[
            Region(tag_id=ball.id, left=0.1, top=0.2, width=0.3, height=0.4),
            Region(tag_id=ball.id, left=0.5, top=0.5, width=0.2, height=0.2),
        ],
    )
    image = client.create_images_from_files(project.id, ImageFileCreateBatch(images=[entry])).images[0].image
    assert [(r.tag_name, r.left, r.top, r.width, r.height) for r in image.regions] == [
        ("ball", 0.1, 0.2, 0.3, 0.4),
        ("ball", 0.5, 0.5, 0.2, 0.2),
    ]
    assert [t.tag_name for t in image.tags] == ["ball"]

    plain = client.create_images_from_data(project.id, picture(5)).images[0].image
    assert client.get_untagged_image_count(project.id) == 1
    summary = client.create_image_regions(
        project.id,
        regions=[
            ImageRegionCreateEntry(
                image_id=plain.id, tag_id=cube.id, left=0.6, top=0.5, width=0.45, height=0.3
            ),
        ],
    )
    assert summary.created[0].tag_name == "cube" and summary.created[0].width == 0.45
    again = client.create_image_regions(
        project.id,
        regions=[
            ImageRegionCreateEntry(
                image_id=plain.id, tag_id=cube.id, left=0.6, top=0.5, width=0.45, height=0.3
            ),
        ],
    )
    assert (len(again.created), len(again.duplicated)) == (0, 1)
    assert client.get_untagged_image_count(project.id) == 0
    assert {t.name: t.image_count for t in client.get_tags(project.id)} == {"ball": 1, "cube": 1}

    client.delete_image_regions(project.id, region_ids=[summary.created[0].region_id])
    assert client.get_untagged_image_count(project.id) == 1
    assert client.get_images_by_ids(project.id, image_ids=[plain.id])[0].regions is None


def test_it_tags_existing_images_and_refuses_negative_with_regular(client):
    project = client.create_project("Pets")
    cat = client.create_tag(project.id, "cat")
    negative = client.create_tag(project.id, "Negative", type="Negative")
    image = client.create_images_from_data(project.id, picture(6)).images[0].image
    result = client.create_image_tags(
        project.id, tags=[ImageTagCreateEntry(image_id=image.id, tag_id=cat.id)]
    )
    assert [(c.image_id, c.tag_id) for c in result.created] == [(image.id, cat.id)]
    result = client.create_image_tags(
        project.id, tags=[ImageTagCreateEntry(image_id=image.id, tag_id=cat.id)]
    )
    assert (result.created, len(result.duplicated)) == ([], 1)
    from azure.cognitiveservices.vision.customvision.training.models import CustomVisionErrorException

    with pytest.raises(CustomVisionErrorException) as exc:
        client.create_image_tags(
            project.id, tags=[ImageTagCreateEntry(image_id=image.id, tag_id=negative.id)]
        )
    assert exc.value.error.code == "BadRequestNegativeAndRegularTagOnSameImage"
    summary = client.create_images_from_data(project.id, picture(7), tag_ids=[cat.id, negative.id])
    assert summary.images[0].status == "ErrorNegativeAndRegularTagOnSameImage"
    client.delete_image_tags(project.id, image_ids=[image.id], tag_ids=[cat.id])
    assert client.get_tagged_image_count(project.id) == 0


def test_it_pages_lists_in_a_stable_order_and_counts_agree(client):
    project = client.create_project("Many")
    cat = client.create_tag(project.id, "cat")
    dog = client.create_tag(project.id, "dog")
    ids = []
    for start in range(0, 300, 64):
        datas = [picture(1000 + i, size=(16, 16)) for i in range(start, min(start + 64, 300))]
        tag = [cat.id] if start < 128 else [dog.id] if start < 256 else None
        ids += [r.image.id for r in _upload_files(client, project.id, datas, tag_ids=tag).images]
    assert len(set(ids)) == 300

    newest = client.get_images(project.id, take=256, skip=0) + client.get_images(
        project.id, take=256, skip=256
    )
    assert [i.id for i in newest] == ids[::-1]
    oldest = client.get_images(project.id, take=256, order_by="Oldest") + client.get_images(
        project.id, take=256, skip=256, order_by="Oldest"
    )
    assert [i.id for i in oldest] == ids
    assert len(client.get_images(project.id)) == 50  # the SDK's default take

    tagged = client.get_tagged_images(project.id, take=256) + client.get_tagged_images(
        project.id, take=256, skip=256
    )
    untagged = client.get_untagged_images(project.id, take=256)
    assert [i.id for i in tagged] == ids[:256][::-1]
    assert [i.id for i in untagged] == ids[256:][::-1]
    assert client.get_image_count(project.id) == 300
    assert client.get_tagged_image_count(project.id) == 256 == len(tagged)
    assert client.get_untagged_image_count(project.id) == 44 == len(untagged)
    assert client.get_image_count(project.id, tagging_status="Untagged") == 44
    assert client.get_tagged_image_count(project.id, tag_ids=[dog.id]) == 128
    assert client.get_image_count(project.id, tag_ids=[cat.id, dog.id]) == 256  # OR
    assert len(client.get_images(project.id, tagging_status="Tagged", tag_ids=[dog.id], take=256)) == 128
    assert {t.name: t.image_count for t in client.get_tags(project.id)} == {"cat": 128, "dog": 128}

    wanted = [ids[5], ids[299], ids[0]]
    assert [i.id for i in client.get_images_by_ids(project.id, image_ids=wanted)] == wanted

    client.delete_images(project.id, image_ids=ids[:10])
    assert client.get_image_count(project.id) == 290
    client.delete_images(project.id, all_images=True)
    assert client.get_image_count(project.id) == 0


def test_image_urls_stop_working_after_the_ttl(client, settings):
    settings.SANDBOX_IMAGE_URL_TTL = 2
    project = client.create_project("Short-lived")
    data = picture(8)
    image = client.create_images_from_data(project.id, data).images[0].image
    assert requests.get(image.original_image_uri, timeout=10).content == data
    time.sleep(3.1)
    expired = requests.get(image.original_image_uri, timeout=10)
    assert expired.status_code == 403
    fresh = client.get_images_by_ids(project.id, image_ids=[image.id])[0]
    assert requests.get(fresh.original_image_uri, timeout=10).content == data


def test_it_creates_images_from_ids_of_nothing(client):
    """Endpoints the sandbox does not serve answer a JSON 404 the SDK can read."""
    from azure.cognitiveservices.vision.customvision.training.models import CustomVisionErrorException

    project = client.create_project("X")
    with pytest.raises(CustomVisionErrorException) as exc:
        client.create_images_from_predictions(project.id, ImageIdCreateBatch(images=[]))
    assert exc.value.response.status_code == 404


def test_a_url_that_redirects_is_not_followed(client, recorder):
    """The service reads each URL as given: a redirect could lead past the endpoint rule."""
    recorder.routes["/pic.png"] = (200, {"Content-Type": "image/png"}, picture(3))
    recorder.routes["/moved"] = (302, {"Location": recorder.url("/pic.png", host="127.0.0.1")}, b"")
    project = client.create_project("Redirects")
    batch = ImageUrlCreateBatch(
        images=[
            ImageUrlCreateEntry(url=recorder.url("/pic.png")),
            ImageUrlCreateEntry(url=recorder.url("/moved")),
        ]
    )
    summary = client.create_images_from_urls(project.id, batch)
    assert [r.status for r in summary.images] == ["OK", "ErrorSource"]
    assert recorder.requests == ["/pic.png", "/moved"]
