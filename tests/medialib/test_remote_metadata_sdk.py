"""`client.files.metadata.get_from_url` (`/v1/metadata?url=`) through the guarded client."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from imagekitio import BadRequestError, ImageKit

from medialib.services import api_key_create
from tests.factories import make_image_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

IMAGE = make_image_bytes((33, 22), "green")


class Remote(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body, kind = (IMAGE, "image/png") if self.path == "/a.png" else (b"hello", "text/plain")
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def remote() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Remote)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def client(live_server, transactional_db) -> ImageKit:
    issued = api_key_create(name="sdk metadata")
    return ImageKit(
        private_key=issued.private_key,
        base_url=live_server.url,
        max_retries=0,
        _strict_response_validation=True,
    )


def test_it_reads_the_metadata_of_a_remote_image(client: ImageKit, remote, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    metadata = client.files.metadata.get_from_url(url=remote + "/a.png")
    assert (metadata.width, metadata.height, metadata.format) == (33, 22, "png")
    assert metadata.size == len(IMAGE)


def test_it_refuses_a_private_address_by_default(client: ImageKit, remote, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(BadRequestError, match="The file URL"):
        client.files.metadata.get_from_url(url=remote + "/a.png")


@pytest.mark.parametrize(
    ("path", "message"), [("/t.txt", "not an image"), ("ftp://x/y.png", "http\\(s\\) URL")]
)
def test_it_refuses_what_is_not_a_remote_image(client: ImageKit, remote, settings, path, message):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    url = path if "://" in path else remote + path
    with pytest.raises(BadRequestError, match=message):
        client.files.metadata.get_from_url(url=url)
