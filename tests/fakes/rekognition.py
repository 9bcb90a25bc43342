"""A fake AWS Rekognition speaking its JSON 1.1 protocol: `POST /` with
`X-Amz-Target: RekognitionService.DetectLabels`.

It decodes the image bytes, applies `MinConfidence` and `MaxLabels` as the real service
does, and answers the labels the test chose. Errors are scripted with
`then(Reply(400, aws_error("ThrottlingException")))` and the like.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from tests.fakes.loopback import LoopbackJsonFake, Reply

TARGET = "RekognitionService.DetectLabels"
__all__ = ["FakeRekognition", "Reply", "aws_error"]


def aws_error(code: str, message: str = "") -> dict[str, Any]:
    """The JSON-protocol error body; botocore reads the code from `__type`."""
    return {"__type": code, "Message": message or code}


class FakeRekognition(LoopbackJsonFake):
    content_type = "application/x-amz-json-1.1"

    def __init__(self) -> None:
        super().__init__()
        # (name, confidence 0-100)
        self.labels: list[tuple[str, float]] = [("Cat", 98.5), ("Animal", 97.25), ("Pet", 88.0)]

    def answer(self, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        if headers.get("x-amz-target") != TARGET:
            return 400, aws_error("UnknownOperationException", headers.get("x-amz-target", ""))
        if "authorization" not in headers:
            return 400, aws_error("MissingAuthenticationTokenException")
        try:
            image = base64.b64decode(body["Image"]["Bytes"], validate=True)
        except (KeyError, TypeError, ValueError, binascii.Error):
            return 400, aws_error("InvalidParameterException", "Image.Bytes is required")
        if not (image.startswith(b"\xff\xd8") or image.startswith(b"\x89PNG")):
            return 400, aws_error("InvalidImageFormatException", "Request has invalid image format")
        min_confidence = float(body.get("MinConfidence", 55))
        limit = int(body.get("MaxLabels", 1000))
        ranked = sorted(self.labels, key=lambda label: -label[1])
        labels = [
            {"Name": name, "Confidence": confidence, "Instances": [], "Parents": []}
            for name, confidence in ranked
            if confidence >= min_confidence
        ][:limit]
        return 200, {"Labels": labels, "LabelModelVersion": "3.0"}
