"""Upload v2 (`client.beta.v2.files.upload`): Basic auth as v1, client-side JWT tokens."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from imagekitio import AuthenticationError, BadRequestError, ImageKit, omit

from medialib.models import Asset
from medialib.services import IssuedApiKey, api_key_create
from tests.factories import make_image_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NO_BASIC_AUTH = {"Authorization": omit}


@pytest.fixture
def issued(transactional_db) -> IssuedApiKey:
    return api_key_create(name="sdk upload v2")


@pytest.fixture
def client(live_server, issued) -> ImageKit:
    return ImageKit(
        private_key=issued.private_key,
        base_url=live_server.url,
        max_retries=0,
        _strict_response_validation=True,
    )


def token_for(issued: IssuedApiKey, key: str | None = None, **claims: Any) -> str:
    now = int(time.time())
    return jwt.encode(
        {"iat": now, "exp": now + 600, **claims},
        key or issued.private_key,
        algorithm="HS256",
        headers={"kid": issued.api_key.public_key},
    )


def upload(client: ImageKit, **params: Any):
    return client.beta.v2.files.upload(
        file=make_image_bytes((20, 10), "blue"), extra_headers=NO_BASIC_AUTH, **params
    )


def test_a_server_side_v2_upload_works_as_v1(client: ImageKit):
    uploaded = client.beta.v2.files.upload(
        file=make_image_bytes((20, 10), "blue"),
        file_name="server.png",
        folder="/v2",
        tags=["a", "b"],
        use_unique_file_name=False,
    )
    assert uploaded.file_path == "/v2/server.png"
    assert (uploaded.width, uploaded.height) == (20, 10)
    assert Asset.objects.get().tags.count() == 2


def test_a_client_side_upload_with_a_token_over_every_parameter(client: ImageKit, issued):
    claims = {
        "fileName": "client.png",
        "folder": "/browser",
        "tags": "x,y",
        "useUniqueFileName": False,
        "customMetadata": {"n": 1},
    }
    uploaded = upload(
        client,
        token=token_for(issued, **claims),
        file_name="client.png",
        folder="/browser",
        tags=["x", "y"],
        use_unique_file_name=False,
        custom_metadata={"n": 1},
    )
    assert uploaded.file_path == "/browser/client.png"
    asset = Asset.objects.get()
    assert asset.custom_metadata == {"n": 1}


def test_a_parameter_the_token_does_not_carry_is_refused(client: ImageKit, issued):
    token = token_for(issued, fileName="a.png")
    with pytest.raises(BadRequestError, match="folder is not covered by the token"):
        upload(client, token=token, file_name="a.png", folder="/elsewhere")
    assert not Asset.objects.exists()


def test_a_value_other_than_the_tokens_is_refused(client: ImageKit, issued):
    token = token_for(issued, fileName="a.png", isPrivateFile=False)
    with pytest.raises(BadRequestError, match="isPrivateFile differs"):
        upload(client, token=token, file_name="a.png", is_private_file=True)
    with pytest.raises(BadRequestError, match="used before"):
        upload(client, token=token, file_name="a.png", is_private_file=False)
    assert not Asset.objects.exists()


def test_a_claim_the_request_does_not_send_is_refused(client: ImageKit, issued):
    token = token_for(issued, fileName="a.png", folder="/only-here")
    with pytest.raises(BadRequestError, match="carries folder"):
        upload(client, token=token, file_name="a.png")
    assert not Asset.objects.exists()


def test_a_token_is_spent_once(client: ImageKit, issued):
    token = token_for(issued, fileName="once.png")
    upload(client, token=token, file_name="once.png")
    with pytest.raises(BadRequestError, match="used before"):
        upload(client, token=token, file_name="once.png")
    assert Asset.objects.count() == 1


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda i: token_for(i, key="not-the-private-key-" * 3, fileName="a.png"),
            AuthenticationError,
            "signature",
        ),
        (
            lambda i: jwt.encode({"fileName": "a.png", "iat": 1}, i.private_key),
            AuthenticationError,
            "kid",
        ),
        (
            lambda i: token_for(i, fileName="a.png", iat=int(time.time()) - 700, exp=1),
            BadRequestError,
            "expired",
        ),
        (
            lambda i: token_for(i, fileName="a.png", exp=int(time.time()) + 7200),
            BadRequestError,
            "at most one hour",
        ),
        (lambda i: "not-a-jwt", AuthenticationError, "not a valid JWT"),
    ],
)
def test_bad_tokens_are_refused(client: ImageKit, issued, make, error, message):
    with pytest.raises(error, match=message):
        upload(client, token=make(issued), file_name="a.png")
    assert not Asset.objects.exists()


def test_a_v2_upload_without_credentials_is_refused(client: ImageKit):
    with pytest.raises(AuthenticationError):
        upload(client, file_name="a.png")
