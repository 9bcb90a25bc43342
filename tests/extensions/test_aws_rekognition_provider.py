"""RekognitionProvider over the wire, against the fake Rekognition JSON endpoint."""

from __future__ import annotations

import base64

import pytest

from extensions.providers.aws_rekognition import MAX_BYTES, RekognitionProvider
from extensions.providers.base import Label, ProviderError
from tests.factories import make_image_bytes
from tests.fakes.rekognition import Reply, aws_error


def test_it_detects_labels_with_the_requested_limits(rekognition_fake) -> None:
    image = make_image_bytes(fmt="JPEG")

    result = RekognitionProvider().run(image, "image/jpeg", {"minConfidence": 90, "maxTags": 5})

    assert result.labels == [Label("Cat", 98.5), Label("Animal", 97.25)]
    (request,) = rekognition_fake.requests
    assert request.headers["x-amz-target"] == "RekognitionService.DetectLabels"
    assert "Credential=AKIAFAKEFAKEFAKE/" in request.headers["authorization"]
    assert "/eu-west-1/rekognition/" in request.headers["authorization"]
    assert request.body["MaxLabels"] == 5
    assert request.body["MinConfidence"] == 90
    assert base64.b64decode(request.body["Image"]["Bytes"]) == image


@pytest.mark.parametrize(("fmt", "mime"), [("GIF", "image/gif"), ("WEBP", "image/webp")])
def test_it_converts_other_formats_to_jpeg(rekognition_fake, fmt, mime) -> None:
    RekognitionProvider().run(make_image_bytes(fmt=fmt), mime, {"minConfidence": 0, "maxTags": 3})

    sent = base64.b64decode(rekognition_fake.requests[0].body["Image"]["Bytes"])
    assert sent.startswith(b"\xff\xd8")


def test_it_shrinks_an_image_over_five_megabytes(rekognition_fake) -> None:
    import os

    from PIL import Image

    noise = Image.frombytes("RGB", (1600, 1200), os.urandom(1600 * 1200 * 3))
    import io

    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    assert buffer.tell() > MAX_BYTES

    RekognitionProvider().run(buffer.getvalue(), "image/png", {"minConfidence": 0, "maxTags": 3})

    sent = base64.b64decode(rekognition_fake.requests[0].body["Image"]["Bytes"])
    assert sent.startswith(b"\xff\xd8")
    assert len(sent) <= MAX_BYTES


@pytest.mark.parametrize(
    ("reply", "code", "permanent"),
    [
        (Reply(400, aws_error("ThrottlingException")), "rate_limited", False),
        (Reply(400, aws_error("ProvisionedThroughputExceededException")), "rate_limited", False),
        (Reply(500, aws_error("InternalServerError")), "provider_unavailable", False),
        (Reply(503, aws_error("ServiceUnavailableException")), "provider_unavailable", False),
        (Reply(400, aws_error("InvalidImageFormatException")), "invalid_image", True),
        (Reply(400, aws_error("ImageTooLargeException")), "image_too_large", True),
        (Reply(400, aws_error("AccessDeniedException")), "permission_denied", True),
        (Reply(403, aws_error("UnrecognizedClientException")), "unauthenticated", True),
    ],
)
def test_it_classifies_errors(rekognition_fake, reply, code, permanent) -> None:
    rekognition_fake.then(reply)

    with pytest.raises(ProviderError) as caught:
        RekognitionProvider().run(
            make_image_bytes(), "image/png", {"minConfidence": 0, "maxTags": 3}
        )

    assert (caught.value.code, caught.value.permanent) == (code, permanent)
    # botocore's own retries are off: the run service owns retrying.
    assert len(rekognition_fake.requests) == 1


def test_it_treats_a_refused_connection_as_transient(rekognition_fake, settings) -> None:
    settings.AWS_REKOGNITION_ENDPOINT_URL = "http://127.0.0.1:9"

    with pytest.raises(ProviderError) as caught:
        RekognitionProvider().run(
            make_image_bytes(), "image/png", {"minConfidence": 0, "maxTags": 3}
        )

    assert (caught.value.code, caught.value.permanent) == ("connection_error", False)


def test_it_is_configured_by_explicit_keys_or_the_environment(settings, monkeypatch) -> None:
    settings.AWS_REKOGNITION_ACCESS_KEY_ID = settings.AWS_REKOGNITION_SECRET_ACCESS_KEY = ""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    assert RekognitionProvider().is_configured() is False

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    assert RekognitionProvider().is_configured() is True
