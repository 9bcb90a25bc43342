"""RemoveBgProvider over the wire against the fake remove.bg on loopback."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from extensions.providers.base import ImageResult, ProviderError
from extensions.providers.removebg import RemoveBgProvider
from tests.factories import make_image_bytes
from tests.fakes.removebg import centre_ellipse_mask

PHOTO = make_image_bytes((80, 60), color="blue")


def run(options: dict | None = None, image: bytes = PHOTO, mime: str = "image/png"):
    return RemoveBgProvider().run(image, mime, {"options": options or {}})


def test_it_is_configured_only_with_an_api_key(settings):
    settings.REMOVE_BG_API_KEY = ""
    assert not RemoveBgProvider().is_configured()
    settings.REMOVE_BG_API_KEY = "a-key"
    assert RemoveBgProvider().is_configured()


def test_it_sends_the_key_the_image_as_a_file_and_the_options_as_form_fields(removebg_fake):
    run({"add_shadow": True, "semitransparency": False, "bg_color": "81d4fa", "type": "car"})

    [request] = removebg_fake.requests
    assert request.method == "POST"
    assert request.headers["x-api-key"] == removebg_fake.api_key
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert request.file_bytes == PHOTO
    assert request.file_name == "image.png"
    assert request.file_type == "image/png"
    assert request.fields == {
        "size": "auto",
        "add_shadow": "true",
        "semitransparency": "false",
        "bg_color": "81d4fa",
        "type": "car",
    }


def test_it_keeps_a_size_the_client_asked_for(removebg_fake):
    run({"size": "preview"})

    assert removebg_fake.requests[0].fields == {"size": "preview"}


def test_it_returns_the_cut_out_png_with_the_providers_details(removebg_fake):
    result = run()

    assert isinstance(result, ImageResult)
    assert result.mime == "image/png"
    image = Image.open(io.BytesIO(result.content))
    assert image.mode == "RGBA"
    assert image.size == (80, 60)
    assert image.getchannel("A").tobytes() == centre_ellipse_mask((80, 60)).tobytes()
    assert result.details == {"credits_charged": 1, "width": 80, "height": 60, "type": "product"}


def test_it_turns_a_zip_result_into_one_png_with_the_alpha_mask(removebg_fake):
    result = run({"format": "zip"})

    assert removebg_fake.requests[0].fields["format"] == "zip"
    assert result.mime == "image/png"
    image = Image.open(io.BytesIO(result.content))
    assert image.mode == "RGBA"
    assert image.getchannel("A").tobytes() == centre_ellipse_mask((80, 60)).tobytes()


def test_it_returns_the_format_the_client_asked_for(removebg_fake):
    result = run({"format": "jpg", "bg_color": "white"})

    assert result.mime == "image/jpeg"
    assert Image.open(io.BytesIO(result.content)).format == "JPEG"


def test_a_missing_foreground_fails_for_good_with_the_providers_message(removebg_fake):
    removebg_fake.fail_next(400)

    with pytest.raises(ProviderError) as error:
        run()

    assert error.value.permanent
    assert error.value.code == "unknown_foreground"
    assert "Could not identify foreground in image" in error.value.message


def test_an_image_the_provider_cannot_read_fails_for_good(removebg_fake):
    with pytest.raises(ProviderError) as error:
        run(image=b"not an image at all")

    assert error.value.permanent
    assert error.value.code == "invalid_file"
    assert "Failed to read the supplied image" in error.value.message


def test_no_credits_left_fails_for_good_with_the_providers_message(removebg_fake):
    removebg_fake.fail_next(402)

    with pytest.raises(ProviderError) as error:
        run()

    assert error.value.permanent
    assert error.value.code == "insufficient_credits"
    assert "Insufficient credits" in error.value.message


def test_a_wrong_api_key_fails_for_good(removebg_fake, settings):
    settings.REMOVE_BG_API_KEY = "not-the-key"

    with pytest.raises(ProviderError) as error:
        run()

    assert error.value.permanent
    assert error.value.code == "auth_failed"
    assert "API Key invalid" in error.value.message


def test_rate_limiting_is_retried_after_the_seconds_of_retry_after(removebg_fake):
    removebg_fake.fail_next(429, headers={"Retry-After": "7"})

    with pytest.raises(ProviderError) as error:
        run()

    assert not error.value.permanent
    assert error.value.retry_after == 7
    assert "Rate limit exceeded" in error.value.message


def test_rate_limiting_without_retry_after_waits_until_the_rate_limit_reset(removebg_fake):
    removebg_fake.fail_next(429, headers={"X-RateLimit-Reset": str(int(time.time()) + 60)})

    with pytest.raises(ProviderError) as error:
        run()

    assert not error.value.permanent
    # A Unix time a minute ahead, so the wait is about a minute (whatever the clock did since).
    assert 30 < error.value.retry_after <= 60


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried(removebg_fake, status):
    removebg_fake.fail_next(status)

    with pytest.raises(ProviderError) as error:
        run()

    assert not error.value.permanent
    assert error.value.retry_after is None


def test_an_error_page_that_is_not_json_is_handled(removebg_fake):
    removebg_fake.answer_raw_next(502, b"<html><body>Bad gateway</body></html>")

    with pytest.raises(ProviderError) as error:
        run()

    assert not error.value.permanent
    assert error.value.code == "http_502"
    assert "HTTP 502" in error.value.message


def test_a_client_error_that_is_not_json_fails_for_good(removebg_fake):
    removebg_fake.answer_raw_next(413, b"Request Entity Too Large", "text/plain")

    with pytest.raises(ProviderError) as error:
        run()

    assert error.value.permanent
    assert error.value.code == "http_413"


def test_a_provider_that_does_not_answer_in_time_is_retried(removebg_fake, settings):
    settings.PROVIDER_TIMEOUT = 0.3
    removebg_fake.hang_next(3)

    with pytest.raises(ProviderError) as error:
        run()

    assert not error.value.permanent
    assert error.value.code == "timeout"


def test_a_provider_that_cannot_be_reached_is_retried(removebg_fake, settings):
    removebg_fake.stop()

    with pytest.raises(ProviderError) as error:
        run()

    assert not error.value.permanent
    assert error.value.code == "connection_error"


def test_a_redirect_is_not_followed(removebg_fake):
    removebg_fake.answer_raw_next(302, b"", "text/plain")

    with pytest.raises(ProviderError) as error:
        run()

    assert error.value.code == "unexpected_redirect"
    assert len(removebg_fake.requests) == 1


def test_a_success_that_is_not_an_image_is_an_error(removebg_fake):
    removebg_fake.answer_raw_next(200, b'{"data": {}}', "application/json")

    with pytest.raises(ProviderError) as error:
        run()

    assert error.value.code == "unexpected_response"
