"""The one URL reader: a token goes only inside its container; a stored SAS that can write is
never handed to the service (issue 9)."""

from __future__ import annotations

import pytest

from blobstore.azure import _read_only
from blobstore.base import BlobStoreError
from outbound.reader import Token

BASE = "https://acct.blob.core.windows.net/exports/"


@pytest.mark.parametrize(
    ("url", "signed"),
    [
        ("https://acct.blob.core.windows.net/exports/a/1.png", True),
        ("https://ACCT.blob.core.windows.net:443/exports/1.png", True),
        ("https://acct.blob.core.windows.net/exports2/1.png", False),  # a container named alike
        ("https://acct.blob.core.windows.net/exports/../other/1.png", False),
        ("https://acct.blob.core.windows.net/exports/%2e%2e/other/1.png", False),
        ("https://acct.blob.core.windows.net/exports/", False),
        ("http://acct.blob.core.windows.net/exports/1.png", False),  # another scheme
        ("https://acct.blob.core.windows.net.evil.com/exports/1.png", False),
        ("https://evil.com/exports/1.png", False),
        ("https://acct.blob.core.windows.net@evil.com/exports/1.png", False),
    ],
)
def test_a_token_applies_only_inside_its_container(url, signed):
    token = Token(BASE, "se=1&sig=s")
    assert token.applies(url) is signed
    assert ("sig=s" in token.sign(url)) is signed


@pytest.mark.parametrize(
    "sas",
    [
        "sv=2022-11-02&ss=b&srt=sco&sp=rl&se=2030-01-01&sig=x",  # account SAS, even read-only
        "sv=2022-11-02&sr=c&sp=racwdl&se=2030-01-01&sig=x",  # a container SAS that can write
        "sv=2022-11-02&sr=c&sp=rd&se=2030-01-01&sig=x",
    ],
)
def test_a_stored_sas_that_opens_more_than_reading_is_never_handed_out(sas):
    with pytest.raises(BlobStoreError, match="read-only") as exc:
        _read_only(sas)
    assert exc.value.code == "SasTooBroad"


def test_a_read_and_list_container_sas_is_handed_out_as_is():
    sas = "sv=2022-11-02&sr=c&sp=rl&se=2030-01-01&sig=x"
    assert _read_only(sas) == sas
