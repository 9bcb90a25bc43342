"""A fake Google Cloud Vision REST endpoint: `POST /v1/images:annotate`.

It checks what the real one needs (base64 image content, the LABEL_DETECTION feature as
the integer 4 the client sends) and answers the labels the test chose, at most
`maxResults`. Failures: a per-image error inside `responses[0].error` at HTTP 200
(`image_error`), or any scripted status or hang through `then(Reply(...))`.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from tests.fakes.loopback import LoopbackJsonFake, Reply

LABEL_DETECTION = 4
__all__ = ["FakeVision", "Reply", "google_error"]


def google_error(status: int, grpc_status: str, message: str) -> dict[str, Any]:
    """Google's JSON error body for a failed call."""
    return {"error": {"code": status, "message": message, "status": grpc_status}}


class FakeVision(LoopbackJsonFake):
    def __init__(self) -> None:
        super().__init__()
        # (description, score 0-1); answered highest score first, as Vision does.
        self.labels: list[tuple[str, float]] = [("Cat", 0.97), ("Whiskers", 0.91), ("Pet", 0.85)]
        self.image_error: dict[str, Any] | None = None

    def answer(self, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        if not path.startswith("/v1/images:annotate"):
            return 404, google_error(404, "NOT_FOUND", f"No route for {path}")
        try:
            (request,) = body["requests"]
            base64.b64decode(request["image"]["content"], validate=True)
            (feature,) = request["features"]
        except (KeyError, TypeError, ValueError, binascii.Error):
            return 400, google_error(400, "INVALID_ARGUMENT", "Malformed request")
        if feature.get("type") != LABEL_DETECTION:
            return 400, google_error(400, "INVALID_ARGUMENT", f"Unexpected feature {feature}")
        if self.image_error:
            return 200, {"responses": [{"error": self.image_error}]}
        limit = int(feature.get("maxResults") or 10)
        ranked = sorted(self.labels, key=lambda label: -label[1])[:limit]
        annotations = [
            {"mid": f"/m/{index:04x}", "description": name, "score": score, "topicality": score}
            for index, (name, score) in enumerate(ranked)
        ]
        return 200, {"responses": [{"labelAnnotations": annotations}]}
