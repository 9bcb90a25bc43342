"""GoogleVisionProvider over the wire, against the fake Vision REST endpoint."""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

import pytest

from extensions.providers.base import Label, ProviderError
from extensions.providers.google_vision import GoogleVisionProvider
from tests.factories import make_image_bytes
from tests.fakes.vision import FakeVision, Reply, google_error

PARAMS = {"minConfidence": 0, "maxTags": 2}


def test_it_sends_the_image_and_the_label_feature_and_maps_scores(vision_fake) -> None:
    image = make_image_bytes(fmt="PNG")
    vision_fake.labels = [("Shirt", 0.90123), ("Sleeve", 0.8), ("Button", 0.5)]

    result = GoogleVisionProvider().run(image, "image/png", PARAMS)

    assert result.labels == [Label("Shirt", 90.12), Label("Sleeve", 80.0)]
    (request,) = vision_fake.requests
    assert request.path.startswith("/v1/images:annotate")
    assert request.headers["x-goog-api-key"] == "fake-vision-key"
    (sent,) = request.body["requests"]
    assert base64.b64decode(sent["image"]["content"]) == image
    assert sent["features"] == [{"type": 4, "maxResults": 2}]


def test_it_sends_formats_vision_cannot_read_as_jpeg(vision_fake) -> None:
    image = make_image_bytes(fmt="PPM")

    GoogleVisionProvider().run(image, "image/x-portable-anymap", PARAMS)

    content = base64.b64decode(vision_fake.requests[0].body["requests"][0]["image"]["content"])
    assert content.startswith(b"\xff\xd8")


@pytest.mark.parametrize(
    ("reply", "code", "permanent"),
    [
        (Reply(400, google_error(400, "INVALID_ARGUMENT", "Bad")), "invalid_request", True),
        (Reply(401, google_error(401, "UNAUTHENTICATED", "No key")), "unauthenticated", True),
        (Reply(403, google_error(403, "PERMISSION_DENIED", "Key")), "permission_denied", True),
        (Reply(429, google_error(429, "RESOURCE_EXHAUSTED", "Quota")), "rate_limited", False),
        (Reply(500, google_error(500, "INTERNAL", "Oops")), "provider_unavailable", False),
        (Reply(503, google_error(503, "UNAVAILABLE", "Later")), "provider_unavailable", False),
    ],
)
def test_it_classifies_http_errors(vision_fake, reply, code, permanent) -> None:
    # On a 401 google-auth refreshes its credentials and tries again, twice at most.
    vision_fake.then(reply, reply, reply)

    with pytest.raises(ProviderError) as caught:
        GoogleVisionProvider().run(make_image_bytes(), "image/png", PARAMS)

    assert (caught.value.code, caught.value.permanent) == (code, permanent)


def test_it_passes_retry_after_on(vision_fake) -> None:
    vision_fake.then(Reply(429, google_error(429, "RESOURCE_EXHAUSTED", "Q"), {"Retry-After": "7"}))

    with pytest.raises(ProviderError) as caught:
        GoogleVisionProvider().run(make_image_bytes(), "image/png", PARAMS)

    assert caught.value.retry_after == 7.0


@pytest.mark.parametrize(
    ("grpc_code", "code", "permanent"),
    [(3, "invalid_image", True), (7, "permission_denied", True), (14, "unavailable", False)],
)
def test_it_reads_a_per_image_error_inside_a_200(vision_fake, grpc_code, code, permanent) -> None:
    vision_fake.image_error = {"code": grpc_code, "message": "Nope"}

    with pytest.raises(ProviderError) as caught:
        GoogleVisionProvider().run(make_image_bytes(), "image/png", PARAMS)

    assert (caught.value.code, caught.value.permanent) == (code, permanent)
    assert "Nope" in caught.value.message


def test_it_treats_a_timeout_as_transient(vision_fake, settings) -> None:
    settings.PROVIDER_TIMEOUT = 0.3
    vision_fake.then(Reply(delay=5))

    with pytest.raises(ProviderError) as caught:
        GoogleVisionProvider().run(make_image_bytes(), "image/png", PARAMS)

    assert caught.value.permanent is False


def test_it_treats_a_refused_connection_as_transient(settings) -> None:
    settings.GOOGLE_VISION_API_ENDPOINT = "http://127.0.0.1:9"

    with pytest.raises(ProviderError) as caught:
        GoogleVisionProvider().run(make_image_bytes(), "image/png", PARAMS)

    assert (caught.value.code, caught.value.permanent) == ("connection_error", False)


class ForwardProxy(FakeVision):
    """Answers as Vision would, for requests sent to it as an HTTP proxy (absolute URIs)."""

    def answer(self, path, headers, body):
        return super().answer(urlsplit(path).path, headers, body)


@pytest.mark.parametrize("variable", ["http_proxy", "HTTP_PROXY"])
def test_it_goes_through_the_proxy_the_environment_names(vision_fake, monkeypatch, variable):
    for name in ("http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    proxy = ForwardProxy().start()
    monkeypatch.setenv(variable, proxy.url)
    try:
        result = GoogleVisionProvider().run(make_image_bytes(), "image/png", PARAMS)
    finally:
        proxy.stop()

    assert [label.name for label in result.labels] == ["Cat", "Whiskers"]
    (request,) = proxy.requests
    assert request.path.startswith(vision_fake.url + "/v1/images:annotate")
    assert vision_fake.requests == []


def test_it_is_configured_by_a_key_a_credentials_file_or_an_endpoint(settings) -> None:
    settings.GOOGLE_VISION_API_KEY = settings.GOOGLE_APPLICATION_CREDENTIALS = ""
    settings.GOOGLE_VISION_API_ENDPOINT = ""
    assert GoogleVisionProvider().is_configured() is False

    settings.GOOGLE_APPLICATION_CREDENTIALS = "/etc/vision.json"
    assert GoogleVisionProvider().is_configured() is True


def test_it_refuses_what_is_not_a_raster_image() -> None:
    provider = GoogleVisionProvider()

    assert provider.supports("image/jpeg")
    assert not provider.supports("application/pdf")
    assert not provider.supports("image/svg+xml")
