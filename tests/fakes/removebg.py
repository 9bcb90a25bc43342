"""A fake remove.bg API on loopback that checks requests as the real one expects them.

`POST <url>` with `X-Api-Key`, a multipart `image_file` that decodes as an image and the
options as form fields. It answers a real PNG: the uploaded picture cut out with a centred
ellipse, with the `X-Credits-Charged`, `X-Width`, `X-Height` and `X-Type` headers; or,
when told to, remove.bg's error JSON, a non-JSON error page, or nothing (a hang).
"""

from __future__ import annotations

import email.parser
import email.policy
import io
import json
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from PIL import Image, ImageColor, ImageDraw

API_PATH = "/v1.0/removebg"
API_KEY = "fake-removebg-key"
# What the real API accepts besides the image itself (image_file_b64 / image_url).
KNOWN_FIELDS = frozenset(
    [
        "size",
        "type",
        "type_level",
        "format",
        "roi",
        "crop",
        "crop_margin",
        "scale",
        "position",
        "channels",
        "add_shadow",
        "semitransparency",
        "bg_color",
        "bg_image_url",
        "bg_image_file",
        "shadow_type",
        "shadow_opacity",
    ]
)
ERRORS = {
    400: ("unknown_foreground", "Could not identify foreground in image", ""),
    402: ("insufficient_credits", "Insufficient credits", "Your account has no credits left."),
    403: ("auth_failed", "API Key invalid", ""),
    429: ("rate_limit_exceeded", "Rate limit exceeded", ""),
    500: ("unknown_error", "Internal server error", ""),
    503: ("service_unavailable", "Service temporarily unavailable", ""),
}


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    fields: dict[str, str] = field(default_factory=dict)
    file_name: str = ""
    file_type: str = ""
    file_bytes: bytes = b""
    received_at: float = field(default_factory=time.monotonic)


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class FakeRemoveBg:
    """The server. Tell it what to answer next; otherwise it succeeds."""

    def __init__(self, api_key: str = API_KEY) -> None:
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self.result_type = "product"
        self._replies: list[Reply] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{API_PATH}"

    def start(self) -> FakeRemoveBg:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # What to answer next (each call queues one or more replies, used in order).

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        code: str | None = None,
        title: str | None = None,
        detail: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next request(s) with remove.bg's error JSON for `status`."""
        default_code, default_title, default_detail = ERRORS.get(status, ("error", "Error", ""))
        reply = _error(
            status,
            code or default_code,
            title or default_title,
            default_detail if detail is None else detail,
        )
        reply.headers.update(headers or {})
        self._queue(reply, times)

    def answer_raw_next(
        self, status: int, body: bytes, content_type: str = "text/html", *, times: int = 1
    ) -> None:
        """Answer the next request(s) with this body, e.g. a proxy's HTML error page."""
        self._queue(Reply(status, body, content_type), times)

    def hang_next(self, seconds: float, *, times: int = 1) -> None:
        """Wait this long before answering the next request(s) (then succeed)."""
        self._queue(Reply(200, delay=seconds), times)

    def _queue(self, reply: Reply, times: int) -> None:
        with self._lock:
            self._replies.extend([reply] * times)

    def _next_reply(self) -> Reply | None:
        with self._lock:
            return self._replies.pop(0) if self._replies else None

    # The real API's behaviour.

    def handle(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
        if request.method != "POST" or request.path != API_PATH:
            return _error(404, "not_found", "Not found")
        if request.headers.get("x-api-key") != self.api_key:
            return _error(403, "auth_failed", "API Key invalid")
        unknown = sorted(set(request.fields) - KNOWN_FIELDS)
        if unknown:
            return _error(400, "unknown_parameter", f"Unknown parameter: {unknown[0]}")
        if not request.file_bytes:
            return _error(400, "missing_source", "No image given")
        scripted = self._next_reply()
        if scripted and scripted.delay:
            time.sleep(scripted.delay)
        elif scripted:
            return scripted
        try:
            with Image.open(io.BytesIO(request.file_bytes)) as uploaded:
                picture = uploaded.convert("RGB")
        except (OSError, ValueError) as exc:
            return _error(400, "invalid_file", "Failed to read the supplied image", str(exc))
        return self._cut_out(picture, request.fields)

    def _cut_out(self, picture: Image.Image, fields: dict[str, str]) -> Reply:
        mask = centre_ellipse_mask(picture.size)
        result_format = fields.get("format", "auto")
        if fields.get("channels") == "alpha":
            content, content_type = _encode(mask, "PNG"), "image/png"
        elif result_format == "zip":
            content, content_type = _zip(picture, mask), "application/zip"
        else:
            cut = picture.copy()
            cut.putalpha(mask)
            if fields.get("bg_color"):
                colour = fields["bg_color"]
                colour = f"#{colour}" if colour.lower() not in ImageColor.colormap else colour
                background = Image.new("RGBA", cut.size, ImageColor.getrgb(colour))
                cut = Image.alpha_composite(background, cut)
            if result_format == "jpg":
                content, content_type = _encode(cut.convert("RGB"), "JPEG"), "image/jpeg"
            elif result_format == "webp":
                content, content_type = _encode(cut, "WEBP"), "image/webp"
            else:
                content, content_type = _encode(cut, "PNG"), "image/png"
        preview = fields.get("size", "preview") in ("preview", "small", "regular")
        credits = "0.25" if preview else "1"
        headers = {
            "X-Credits-Charged": credits,
            "X-Width": str(picture.width),
            "X-Height": str(picture.height),
            "X-Type": self.result_type,
        }
        return Reply(200, content, content_type, headers)


def centre_ellipse_mask(size: tuple[int, int]) -> Image.Image:
    """The foreground the fake "finds": an ellipse over the middle half of each side."""
    width, height = size
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).ellipse(
        (width // 4, height // 4, width - width // 4 - 1, height - height // 4 - 1), fill=255
    )
    return mask


def _error(status: int, code: str, title: str, detail: str = "") -> Reply:
    error = {"title": title, "code": code}
    if detail:
        error["detail"] = detail
    return Reply(status, json.dumps({"errors": [error]}).encode())


def _encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def _zip(picture: Image.Image, mask: Image.Image) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("color.jpg", _encode(picture, "JPEG"))
        archive.writestr("alpha.png", _encode(mask, "PNG"))
    return buffer.getvalue()


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], Any]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, str] = {}
    image_part = None
    if not message.is_multipart():
        return fields, None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name == "image_file" and part.get_filename() is not None:
            image_part = part
        elif name:
            fields[name] = part.get_payload(decode=True).decode()
    return fields, image_part


def _handler_for(fake: FakeRemoveBg) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            content_type = self.headers.get("Content-Type", "")
            request = RecordedRequest(
                method="POST",
                path=self.path,
                headers={key.lower(): value for key, value in self.headers.items()},
            )
            if content_type.startswith("multipart/form-data"):
                request.fields, image_part = _parse_multipart(content_type, body)
                if image_part is not None:
                    request.file_name = image_part.get_filename() or ""
                    request.file_type = image_part.get_content_type()
                    request.file_bytes = image_part.get_payload(decode=True) or b""
            self._send(fake.handle(request))

        def do_GET(self) -> None:
            self._send(fake.handle(RecordedRequest(method="GET", path=self.path, headers={})))

        def _send(self, reply: Reply) -> None:
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def removebg_fake(settings) -> Iterator[FakeRemoveBg]:
    """A running fake, with REMOVE_BG_API_KEY and REMOVE_BG_API_URL pointing at it."""
    fake = FakeRemoveBg().start()
    settings.REMOVE_BG_API_KEY = fake.api_key
    settings.REMOVE_BG_API_URL = fake.url
    yield fake
    fake.stop()
