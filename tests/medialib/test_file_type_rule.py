"""A file's `fileType` follows one rule on every path that makes a version current.

The upload's: an SVG (text) is "non-image", a PNG is "image", whether the version
came from an upload, an overwrite, a restore, a copy, a move or an extension.
"""

from __future__ import annotations

import pytest

from medialib.models import Asset, AssetVersion
from medialib.services import asset_version_add
from tests.factories import make_image_bytes

pytestmark = pytest.mark.django_db

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="12" height="8"><rect fill="red"/></svg>'
PNG = make_image_bytes((12, 8))
# (content, fileType it must give); each test first makes the file the other kind,
# where a path can, so a path that kept the previous type would fail.
KINDS = [pytest.param(SVG, "non-image", id="svg"), pytest.param(PNG, "image", id="png")]
# No extension, so both kinds can take the same path.
NAME = "logo"


def other_than(content: bytes) -> bytes:
    return PNG if content == SVG else SVG


def file_type_at(api_client, file_path: str) -> str:
    asset = Asset.objects.get(file_path=file_path)
    return api_client.get(f"/v1/files/{asset.file_id}/details").json()["fileType"]


def upload_at(upload, content: bytes, folder: str = "/") -> dict:
    response = upload(content, fileName=NAME, folder=folder, useUniqueFileName="false")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize(("content", "file_type"), KINDS)
def test_it_types_an_upload_by_its_content(api_client, upload, content, file_type):
    body = upload_at(upload, content)

    assert body["fileType"] == file_type
    assert file_type_at(api_client, "/logo") == file_type


@pytest.mark.parametrize(("content", "file_type"), KINDS)
def test_it_types_an_overwriting_upload_by_its_content(api_client, upload, content, file_type):
    upload_at(upload, other_than(content))

    upload_at(upload, content)

    assert file_type_at(api_client, "/logo") == file_type


@pytest.mark.parametrize(("content", "file_type"), KINDS)
def test_it_types_a_restored_version_as_on_upload(api_client, upload, content, file_type):
    first = upload_at(upload, content)
    upload_at(upload, other_than(content))

    response = api_client.put(
        f"/v1/files/{first['fileId']}/versions/{first['versionInfo']['id']}/restore"
    )

    assert response.status_code == 200
    assert file_type_at(api_client, "/logo") == file_type


@pytest.mark.parametrize(("content", "file_type"), KINDS)
def test_it_types_a_copy_to_a_new_path_as_on_upload(api_client, upload, content, file_type):
    upload_at(upload, content, folder="/a")

    response = api_client.post(
        "/v1/files/copy", {"sourceFilePath": "/a/logo", "destinationPath": "/b"}, format="json"
    )

    assert response.status_code == 204
    assert file_type_at(api_client, "/b/logo") == file_type


@pytest.mark.parametrize(("content", "file_type"), KINDS)
def test_it_types_a_copy_onto_an_existing_file_as_on_upload(api_client, upload, content, file_type):
    upload_at(upload, other_than(content), folder="/b")
    upload_at(upload, content, folder="/a")

    response = api_client.post(
        "/v1/files/copy", {"sourceFilePath": "/a/logo", "destinationPath": "/b"}, format="json"
    )

    assert response.status_code == 204
    assert file_type_at(api_client, "/b/logo") == file_type


@pytest.mark.parametrize(("content", "file_type"), KINDS)
def test_it_types_a_move_onto_an_existing_file_as_on_upload(api_client, upload, content, file_type):
    upload_at(upload, other_than(content), folder="/b")
    upload_at(upload, content, folder="/a")

    response = api_client.post(
        "/v1/files/move", {"sourceFilePath": "/a/logo", "destinationPath": "/b"}, format="json"
    )

    assert response.status_code == 204
    assert file_type_at(api_client, "/b/logo") == file_type


@pytest.mark.parametrize(("content", "file_type"), KINDS)
def test_it_types_an_extensions_new_version_as_on_upload(api_client, upload, content, file_type):
    upload_at(upload, other_than(content))

    asset_version_add(
        asset=Asset.objects.get(file_path="/logo"),
        content=content,
        origin=AssetVersion.Origin.EXTENSION,
        origin_detail="remove-bg",
    )

    assert file_type_at(api_client, "/logo") == file_type
