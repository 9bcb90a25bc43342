"""The upload's `file` as base64 text, a data: URI, or a URL fetched from a server."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.files.storage import default_storage

from medialib.models import Asset
from tests.factories import make_image_bytes

pytestmark = pytest.mark.django_db

IMAGE = make_image_bytes((33, 22), "purple")


class FileServer(BaseHTTPRequestHandler):
    """/image.png answers IMAGE; /no-length without Content-Length; /slow waits before its
    headers; /redirect goes to /image.png."""

    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(2)
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/image.png")
            self.end_headers()
            return
        if self.path not in ("/image.png", "/slow", "/no-length"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        if self.path != "/no-length":
            self.send_header("Content-Length", str(len(IMAGE)))
        self.end_headers()
        self.wfile.write(IMAGE)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def file_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FileServer)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def stored_bytes(file_id: str) -> bytes:
    with default_storage.open(Asset.objects.get(file_id=file_id).current_version.storage_key) as f:
        return f.read()


def test_it_accepts_base64(upload):
    response = upload(base64.b64encode(IMAGE).decode(), fileName="b64.png")

    assert response.status_code == 200, response.json()
    assert stored_bytes(response.json()["fileId"]) == IMAGE


def test_it_accepts_a_data_uri(upload):
    response = upload("data:image/png;base64," + base64.b64encode(IMAGE).decode())

    assert response.status_code == 200, response.json()
    assert (response.json()["width"], response.json()["height"]) == (33, 22)


def test_it_refuses_text_that_is_neither_url_nor_base64(upload):
    response = upload("this is not base64!")

    assert response.status_code == 400
    assert "base64" in response.json()["message"]


def test_it_fetches_a_url_when_private_targets_are_allowed(upload, file_server, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True

    response = upload(f"{file_server}/redirect", fileName="fetched.png")

    assert response.status_code == 200, response.json()
    assert stored_bytes(response.json()["fileId"]) == IMAGE


def test_it_refuses_a_loopback_url_when_private_targets_are_not_allowed(
    upload, file_server, settings
):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False

    response = upload(f"{file_server}/image.png")

    assert response.status_code == 400
    assert "private" in response.json()["message"]
    assert not Asset.objects.exists()


def test_it_fetches_from_the_address_it_checked_without_a_second_lookup(
    upload, file_server, settings, hosts
):
    # "files.test" exists only in the guard's table: a second lookup (by an HTTP
    # library resolving the name again) would fail, or could be answered otherwise.
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    resolver = hosts({"files.test": ["127.0.0.1"]})
    port = file_server.rsplit(":", 1)[1]

    response = upload(f"http://files.test:{port}/redirect", fileName="pinned.png")

    assert response.status_code == 200, response.json()
    assert stored_bytes(response.json()["fileId"]) == IMAGE
    # Exactly one lookup per hop (the URL, then its relative redirect), each
    # connection made to the address that lookup vetted.
    assert resolver.lookups == ["files.test", "files.test"]


def test_it_refuses_a_name_that_resolves_to_loopback_without_connecting(upload, settings, hosts):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    # Port 9 on loopback: were the guard broken, the connection would be refused, not sent away.
    hosts({"files.test": ["127.0.0.1"]})

    response = upload("http://files.test:9/image.png")

    assert response.status_code == 400
    assert "private address" in response.json()["message"]
    assert "127.0.0.1" not in response.json()["message"]
    assert not Asset.objects.exists()


@pytest.mark.parametrize("url", ["ftp://example.com/a.png", "file:///etc/passwd"])
def test_it_refuses_other_schemes(upload, url):
    response = upload(url)

    assert response.status_code == 400


def test_it_answers_400_for_a_url_that_fails(upload, file_server, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True

    response = upload(f"{file_server}/missing.png")

    assert response.status_code == 400
    assert "404" in response.json()["message"]


def test_it_answers_400_when_the_url_sends_no_headers_in_time(upload, file_server, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    settings.MEDIALIB_URL_FETCH_TIMEOUT = 0.5

    response = upload(f"{file_server}/slow")

    assert response.status_code == 400
    assert "did not answer" in response.json()["message"]


@pytest.mark.parametrize("path", ["/image.png", "/no-length"])
def test_it_answers_413_for_a_url_over_the_size_limit(upload, file_server, settings, path):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    settings.MEDIALIB_MAX_UPLOAD_BYTES = len(IMAGE) - 1

    response = upload(f"{file_server}{path}")

    assert response.status_code == 413
    assert not Asset.objects.exists()


def test_it_answers_413_for_base64_over_the_size_limit(upload, settings):
    settings.MEDIALIB_MAX_UPLOAD_BYTES = 100

    response = upload(base64.b64encode(b"x" * 200).decode(), fileName="big.txt")

    assert response.status_code == 413


def test_it_answers_413_for_form_fields_over_djangos_memory_limit(upload, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = upload(base64.b64encode(b"x" * 2000).decode(), fileName="big.txt")

    assert response.status_code == 413
    assert set(response.json()) == {"message", "help"}
