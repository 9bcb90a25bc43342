"""Upload by URL: a server that drips its body cannot hold a web thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from medialib.models import Asset
from tests.factories import make_image_bytes

pytestmark = pytest.mark.django_db

IMAGE = make_image_bytes((33, 22), "purple")
# 94 bytes at one per DRIP_INTERVAL: about 3 s in all, each byte well within a read timeout.
DRIP_INTERVAL = 0.03


class DrippingServer(BaseHTTPRequestHandler):
    """Answers headers at once, then the image one byte at a time, with no Content-Length."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        try:
            for index in range(len(IMAGE)):
                self.wfile.write(IMAGE[index : index + 1])
                self.wfile.flush()
                time.sleep(DRIP_INTERVAL)
        except OSError:
            pass  # the client gave up, as it should

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def dripping_server(settings) -> Iterator[str]:
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    server = ThreadingHTTPServer(("127.0.0.1", 0), DrippingServer)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/drip.png"
    server.shutdown()
    server.server_close()


def test_a_fetch_past_the_overall_deadline_is_a_400(upload, dripping_server, settings):
    settings.MEDIALIB_URL_FETCH_DEADLINE = 0.5
    settings.MEDIALIB_URL_FETCH_MIN_RATE = 0

    response = upload(dripping_server)

    assert response.status_code == 400
    assert "within 0.5 s" in response.json()["message"]
    assert Asset.objects.count() == 0


def test_a_fetch_under_the_minimum_rate_is_a_400(upload, dripping_server, settings):
    settings.MEDIALIB_URL_FETCH_MIN_RATE = 1000
    settings.MEDIALIB_URL_FETCH_RATE_GRACE = 0.3

    response = upload(dripping_server)

    assert response.status_code == 400
    assert "too slowly" in response.json()["message"]
    assert Asset.objects.count() == 0


def test_a_slow_but_complete_fetch_within_the_limits_is_stored(upload, dripping_server, settings):
    settings.MEDIALIB_URL_FETCH_MIN_RATE = 1

    response = upload(dripping_server)

    assert response.status_code == 200, response.json()
