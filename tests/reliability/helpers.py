"""Shortcuts of the reliability suite: files, uploads over HTTP, what the database holds."""

from __future__ import annotations

import io
import json
import threading
from typing import Any

import requests
from PIL import Image

from tests.fakes.removebg import FakeRemoveBg, RecordedRequest, Reply
from tests.reliability.stack import REPORT


def png(seed: int = 0, size: tuple[int, int] = (64, 48)) -> bytes:
    image = Image.new("RGB", size, ((seed * 37) % 256, (seed * 91) % 256, 120))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


class Client:
    """HTTP to one server with a private API key, counting requests for the summary."""

    def __init__(self, base: str, private_key: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.auth = (private_key, "")

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        response = self.session.request(method, self.base + path, **kwargs)
        REPORT.requests += 1
        if response.status_code >= 500 and response.status_code != 503:
            REPORT.server_errors += 1
        return response

    def upload(
        self, name: str, content: bytes, *, extensions: list | None = None, webhook: str = ""
    ) -> requests.Response:
        data = {"fileName": name, "useUniqueFileName": "false"}
        if extensions is not None:
            data["extensions"] = json.dumps(extensions)
        if webhook:
            data["webhookUrl"] = webhook
        return self.request(
            "POST", "/api/v1/files/upload", files={"file": (name, content)}, data=data
        )


class GatedRemoveBg(FakeRemoveBg):
    """remove.bg that holds every call until the test opens the gate; counts calls."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.calls = 0
        self._count_lock = threading.Lock()

    def handle(self, request: RecordedRequest) -> Reply:
        with self._count_lock:
            self.calls += 1
        self.gate.wait(timeout=120)
        return super().handle(request)
