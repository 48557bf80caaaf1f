"""Platform guarantees: the loopback guard, production settings, friendly error pages."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.loopback_guard import ExternalConnectionBlocked

ROOT = Path(__file__).resolve().parent.parent


def test_the_guard_blocks_connections_outside_loopback():
    with socket.socket() as sock, pytest.raises(ExternalConnectionBlocked):
        sock.connect(("192.0.2.1", 443))  # TEST-NET-1, never routable
    with socket.socket(socket.AF_INET6) as sock, pytest.raises(ExternalConnectionBlocked):
        sock.connect(("2001:db8::1", 443, 0, 0))


def test_the_guard_lets_loopback_through():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=2):
            pass


FERNET_KEY = "kJ5tqRrJbS2ZzB8t0Qe0h5m0d3tB3o6lX8y1wF2u9Ys="
TEST_ONLY = {"DJANGO_ALLOW_ASYNC_UNSAFE", "JOB_EXTRA_KINDS", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}


def _production_env(tmp_path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in TEST_ONLY}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "VISIONPORT_ENV": "production",
        "VISIONPORT_VAR_DIR": str(tmp_path),
        "VISIONPORT_FERNET_KEYS": FERNET_KEY,
        **extra,
    }


def test_production_settings_pass_check_deploy(tmp_path):
    env = _production_env(
        tmp_path,
        SECRET_KEY="x" * 64 + "-production-like-secret-key-for-the-check",
        ALLOWED_HOSTS="visionport.example.org",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = _production_env(tmp_path)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "needs SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_a_shared_fernet_key(tmp_path):
    env = _production_env(tmp_path, SECRET_KEY="k" * 60)
    env.pop("VISIONPORT_FERNET_KEYS")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "needs VISIONPORT_FERNET_KEYS" in result.stderr


def test_production_has_no_sandbox(tmp_path):
    env = _production_env(tmp_path, SECRET_KEY="k" * 60)
    code = "import django; django.setup(); from django.conf import settings; print(settings.SANDBOX_ENABLED)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "False", result.stderr


@pytest.mark.django_db
def test_unknown_pages_get_the_friendly_404(client, personas):
    client.force_login(personas.alice)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_secrets_are_encrypted_with_a_key_that_can_rotate(settings):
    from cryptography.fernet import Fernet

    from workspaces import crypto

    old = settings.FERNET_KEYS[0]
    token = crypto.encrypt("hello")
    settings.FERNET_KEYS = [Fernet.generate_key().decode(), old]
    crypto._fernet.cache_clear()
    try:
        assert crypto.decrypt(token) == "hello"  # old tokens still readable after rotation
        settings.FERNET_KEYS = [Fernet.generate_key().decode()]
        crypto._fernet.cache_clear()
        with pytest.raises(crypto.SecretUnreadable, match="enter it again"):
            crypto.decrypt(token)
    finally:
        settings.FERNET_KEYS = [old]
        crypto._fernet.cache_clear()


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"VISIONPORT_BIND": "127.0.0.1:8123"}, "http://127.0.0.1:8123"),
        ({"VISIONPORT_BIND": "0.0.0.0:9000"}, "http://127.0.0.1:9000"),
        ({"VISIONPORT_BIND": "unix:/run/visionport.sock"}, "http://127.0.0.1:8000"),
        ({}, "http://127.0.0.1:8000"),
        (
            {"VISIONPORT_BIND": "0.0.0.0:9000", "VISIONPORT_PUBLIC_URL": "https://vp.example.org/"},
            "https://vp.example.org",
        ),
    ],
)
def test_the_public_url_follows_where_make_run_binds_unless_set(tmp_path, extra, expected):
    """`VISIONPORT_BIND=127.0.0.1:8123 make run` alone gives a demo workspace whose sandbox
    connections point at port 8123 (they pointed at 8000, which nothing answered)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in TEST_ONLY | {"VISIONPORT_PUBLIC_URL", "VISIONPORT_BIND"}
    }
    env.update(DJANGO_SETTINGS_MODULE="config.settings", VISIONPORT_VAR_DIR=str(tmp_path), **extra)
    code = "import django; django.setup(); from django.conf import settings; print(settings.VISIONPORT_PUBLIC_URL)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == expected, result.stderr
