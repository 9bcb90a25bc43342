"""Every JSON body of the API is read one way: malformed JSON or a body that is not an
object is the same 400 whichever endpoint gets it."""

from __future__ import annotations

import pytest

from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("post", "/v1/files/addTags"),
    ("post", "/v1/files/removeTags"),
    ("post", "/v1/files/removeAITags"),
    ("post", "/v1/files/batch/deleteByFileIds"),
    ("post", "/v1/files/copy"),
    ("post", "/v1/files/move"),
    ("put", "/v1/files/rename"),
    ("post", "/v1/folder"),
    ("delete", "/v1/folder"),
    ("patch", "/v1/files/{file_id}/details"),
]


def send(api_client, method: str, url: str, body: str):
    url = url.format(file_id=AssetFactory().file_id)
    return getattr(api_client, method)(url, body, content_type="application/json")


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_malformed_json_is_the_same_400_everywhere(api_client, method, url):
    response = send(api_client, method, url, '{"fileIds": [')

    assert response.status_code == 400
    assert set(response.json()) == {"message", "help"}
    assert response.json()["message"].startswith(
        "The request body is not valid JSON: JSON parse error - "
    )


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
@pytest.mark.parametrize("body", ['["a"]', '"a"', "3", "null"])
def test_a_body_that_is_not_an_object_is_the_same_400_everywhere(api_client, method, url, body):
    response = send(api_client, method, url, body)

    assert response.status_code == 400
    assert response.json()["message"] == "The request body must be a JSON object."
