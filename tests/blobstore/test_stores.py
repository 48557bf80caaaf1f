"""Both blob backends through one interface: local files (served by signed URL) and Azurite."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from blobstore.azure import AzureBlobStore
from blobstore.base import BlobStoreError, CopyStatus
from blobstore.local import LocalBlobStore
from tests.conftest import AZURITE_KEY


@pytest.fixture(params=["local", "azurite"])
def store(request, settings, tmp_path):
    if request.param == "local":
        live_server = request.getfixturevalue("live_server")
        settings.VISIONPORT_PUBLIC_URL = live_server.url
        settings.LOCAL_STORAGE_ROOT = tmp_path
        store = LocalBlobStore("storage", "ws", "exports")
    else:
        azurite = request.getfixturevalue("azurite")
        store = AzureBlobStore.connect(
            auth="account_key", account_url=azurite, secret=AZURITE_KEY, container=f"c{uuid.uuid4().hex[:12]}"
        )
    store.create_container()
    return store


def test_put_get_list_properties_delete(store):
    assert store.container_exists()
    store.put("a/1.jpg", b"one", "image/jpeg")
    store.put("a/2.png", b"two!", "image/png")
    store.put("b.json", b"{}", "application/json")
    assert store.get("a/1.jpg") == b"one"
    assert store.exists("a/2.png")
    assert not store.exists("a/3.png")
    assert [(b.name, b.size) for b in store.list(prefix="a/")] == [("a/1.jpg", 3), ("a/2.png", 4)]
    assert len(list(store.list(limit=2))) == 2
    assert store.properties("a/2.png").content_type == "image/png"
    store.delete("a/1.jpg")
    assert not store.exists("a/1.jpg")
    with pytest.raises(BlobStoreError) as err:
        store.get("a/1.jpg")
    assert err.value.code == "BlobNotFound"


def test_signed_urls_work_then_expire(store):
    store.put("img/x.jpg", b"\xff\xd8jpeg-bytes", "image/jpeg")
    response = requests.get(store.signed_url("img/x.jpg", expires_in=60), timeout=10)
    assert response.status_code == 200
    assert response.content == b"\xff\xd8jpeg-bytes"
    assert requests.get(store.url("img/x.jpg"), timeout=10).status_code in (401, 403, 404)  # no signature
    short = store.signed_url("img/x.jpg", expires_in=1)
    time.sleep(2.2)
    assert requests.get(short, timeout=10).status_code == 403


def test_a_tampered_local_signature_is_refused(settings, tmp_path, live_server):
    settings.VISIONPORT_PUBLIC_URL = live_server.url
    settings.LOCAL_STORAGE_ROOT = tmp_path
    store = LocalBlobStore("storage", "ws", "exports")
    store.put("secret.jpg", b"data")
    url = store.signed_url("secret.jpg")
    other = url.replace("secret.jpg", "../../etc/passwd")
    assert requests.get(url.replace("sig=", "sig=0"), timeout=10).status_code == 403
    assert requests.get(other, timeout=10).status_code in (403, 404)


def test_server_side_copy_in_azurite(azurite):
    store = AzureBlobStore.connect(
        auth="account_key", account_url=azurite, secret=AZURITE_KEY, container=f"c{uuid.uuid4().hex[:12]}"
    )
    store.create_container()
    store.put("src.jpg", b"source", "image/jpeg")
    assert store.start_copy("dst.jpg", store.signed_url("src.jpg")) == CopyStatus.SUCCESS
    assert store.copy_status("dst.jpg")[0] == CopyStatus.SUCCESS
    assert store.get("dst.jpg") == b"source"
    with pytest.raises(BlobStoreError):
        store.start_copy("dst2.jpg", store.url("missing.jpg"))


def test_local_store_cannot_copy_from_a_url(tmp_path, settings):
    settings.LOCAL_STORAGE_ROOT = tmp_path
    store = LocalBlobStore("storage", "ws", "exports")
    assert store.server_copy is False
    with pytest.raises(BlobStoreError, match="stream"):
        store.start_copy("x", "http://127.0.0.1/x")


def test_put_file_uploads_from_disk(store, tmp_path):
    path = tmp_path / "big.json"
    path.write_text('{"images": []}')
    store.put_file("ann/train.json", str(path), "application/json")
    assert store.get("ann/train.json") == b'{"images": []}'


def test_a_container_sas_opens_every_blob_of_the_container_and_expires(store):
    store.put("ds/train.json", b"{}", "application/json")
    store.put("ds/images/1.jpg", b"jpeg", "image/jpeg")
    sas = store.container_sas(expires_in=60)
    for name, body in (("ds/train.json", b"{}"), ("ds/images/1.jpg", b"jpeg")):
        response = requests.get(f"{store.url(name)}?{sas}", timeout=10)
        assert response.status_code == 200
        assert response.content == body
    expired = store.container_sas(expires_in=-5)
    assert requests.get(f"{store.url('ds/train.json')}?{expired}", timeout=10).status_code == 403


def test_a_local_container_sas_does_not_open_other_containers(settings, tmp_path, live_server):
    settings.VISIONPORT_PUBLIC_URL = live_server.url
    settings.LOCAL_STORAGE_ROOT = tmp_path
    mine, other = LocalBlobStore("storage", "ws1", "exports"), LocalBlobStore("storage", "ws2", "exports")
    other.put("secret.json", b"{}")
    sas = mine.container_sas(expires_in=60)
    assert requests.get(f"{other.url('secret.json')}?{sas}", timeout=10).status_code == 403


def test_two_threads_writing_one_local_blob_never_collide():
    """Each write has its own temporary file, so two threads of one process can write one name."""
    import threading

    from blobstore.local import LocalBlobStore
    from blobstore.signing import local_roots

    store = LocalBlobStore(next(iter(local_roots())), "race", "same")
    store.create_container()
    errors: list[Exception] = []

    def write() -> None:
        for _ in range(200):
            try:
                store.put("one.txt", b"x" * 1000)
            except Exception as exc:
                errors.append(exc)

    writers = [threading.Thread(target=write) for _ in range(3)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert errors == []
    assert store.get("one.txt") == b"x" * 1000


def test_listing_a_local_container_while_another_thread_deletes_never_fails():
    """Check connections writes, lists and deletes probe blobs from several threads at once; a blob
    deleted between reading the folder and looking at the file is simply not listed (seen in the soak)."""
    import threading

    from blobstore.local import LocalBlobStore
    from blobstore.signing import local_roots

    store = LocalBlobStore(next(iter(local_roots())), "race", "c")
    store.create_container()
    stop = threading.Event()
    errors: list[Exception] = []

    def churn(who: int) -> None:
        n = 0
        while not stop.is_set():
            store.put(f"probe/{who}-{n}.txt", b"x")
            store.delete(f"probe/{who}-{n}.txt")
            n += 1

    workers = [threading.Thread(target=churn, args=(who,)) for who in range(3)]
    for worker in workers:
        worker.start()
    try:
        for _ in range(300):
            try:
                list(store.list("probe/"))
            except Exception as exc:
                errors.append(exc)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    assert errors == []


def test_a_signed_url_lives_at_least_its_whole_lifetime(monkeypatch):
    """Signed just before a second turns over, a 1-second URL still opens 0.9 s later."""
    from blobstore import signing

    monkeypatch.setattr(signing.time, "time", lambda: 1_000.95)
    query = signing.signed_url("storage", "ws/c/a.png", 1).split("?", 1)[1]
    params = dict(pair.split("=", 1) for pair in query.split("&"))
    monkeypatch.setattr(signing.time, "time", lambda: 1_001.85)
    assert signing.verify("storage", "ws/c/a.png", params["se"], params["sig"]) == ""
    monkeypatch.setattr(signing.time, "time", lambda: 1_002.5)
    assert signing.verify("storage", "ws/c/a.png", params["se"], params["sig"]) == "Signed URL expired"
