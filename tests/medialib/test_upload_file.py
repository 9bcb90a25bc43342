"""POST /api/v1/files/upload: the file part, form fields, overwrite rules and bad input."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from medialib.models import Asset, AssetVersion, Folder
from tests.factories import make_image_bytes
from tests.medialib.conftest import stored_files

pytestmark = pytest.mark.django_db

DEFAULT_FIELDS = {
    "fileId",
    "name",
    "size",
    "versionInfo",
    "filePath",
    "url",
    "fileType",
    "height",
    "width",
    "thumbnailUrl",
    "AITags",
}


def test_it_uploads_an_image_and_answers_the_default_fields(upload):
    content = make_image_bytes((40, 30), "blue")

    response = upload(content, fileName="shoe.png", useUniqueFileName="false")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == DEFAULT_FIELDS
    assert re.fullmatch(r"[0-9a-f]{24}", body["fileId"])
    assert body["name"] == "shoe.png"
    assert body["filePath"] == "/shoe.png"
    assert (body["width"], body["height"], body["size"]) == (40, 30, len(content))
    assert body["fileType"] == "image"
    assert body["versionInfo"] == {"id": body["fileId"], "name": "Version 1"}
    assert body["url"] == "http://testserver/f/shoe.png"
    assert body["thumbnailUrl"] == "http://testserver/f/shoe.png?tr=n-ik_ml_thumbnail"
    assert body["AITags"] is None
    assert response["x-ik-requestId"]
    version = Asset.objects.get(file_id=body["fileId"]).current_version
    assert version.storage_key == f"files/{body['fileId']}/{body['fileId']}/shoe.png"
    with default_storage.open(version.storage_key) as stored:
        assert stored.read() == content
    with default_storage.open(version.thumbnail_key) as stored:
        assert Image.open(stored).size == (40, 30)


def test_it_adds_a_random_suffix_before_the_extension_by_default(upload):
    first = upload(fileName="photo.png").json()
    second = upload(fileName="photo.png").json()

    assert re.fullmatch(r"photo_[A-Za-z0-9]{9}\.png", first["name"])
    assert first["name"] != second["name"]
    assert first["fileId"] != second["fileId"]


def test_it_answers_the_requested_response_fields(upload):
    response = upload(
        fileName="a.png",
        tags="summer, sale,summer",
        customCoordinates="1,2,30,40",
        customMetadata=json.dumps({"brand": "acme", "price": 10}),
        responseFields="tags,customCoordinates,isPrivateFile,isPublished,customMetadata,"
        "embeddedMetadata,metadata",
        isPrivateFile="true",
        description="a red square",
    )

    body = response.json()
    assert response.status_code == 200, body
    assert body["tags"] == ["summer", "sale"]
    assert body["customCoordinates"] == "1,2,30,40"
    assert body["customMetadata"] == {"brand": "acme", "price": 10}
    assert body["isPrivateFile"] is True
    assert body["isPublished"] is True
    assert body["metadata"]["width"] == 64
    assert isinstance(body["embeddedMetadata"], dict)
    assert "extensionStatus" not in body
    assert Asset.objects.get(file_id=body["fileId"]).description == "a red square"


def test_it_creates_the_folder_with_its_parents_and_normalises_it(upload):
    body = upload(fileName="x.png", folder="//products//shoes/", useUniqueFileName="false").json()

    assert body["filePath"] == "/products/shoes/x.png"
    assert list(Folder.objects.values_list("path", "parent__path")) == [
        ("/products", None),
        ("/products/shoes", "/products"),
    ]


def test_it_makes_a_new_version_of_the_same_file_on_overwrite(upload):
    first = upload(
        make_image_bytes((10, 10)),
        fileName="a.png",
        useUniqueFileName="false",
        tags="old",
        customMetadata='{"k": 1}',
        customCoordinates="0,0,5,5",
    ).json()
    old_key = AssetVersion.objects.get(version_id=first["fileId"]).storage_key

    second = upload(
        make_image_bytes((20, 20)),
        fileName="a.png",
        useUniqueFileName="false",
        responseFields="tags,customMetadata,customCoordinates",
    ).json()

    assert second["fileId"] == first["fileId"]
    assert second["versionInfo"]["name"] == "Version 2"
    assert second["versionInfo"]["id"] != first["fileId"]
    assert second["width"] == 20
    # Absent from the overwriting request, so removed (overwrite* default to true).
    assert second["tags"] is None
    assert second["customMetadata"] == {}
    assert second["customCoordinates"] is None
    assert Asset.objects.count() == 1
    assert default_storage.exists(old_key), "the older version keeps its bytes"


def test_it_keeps_tags_and_metadata_when_their_overwrite_flags_are_false(upload):
    upload(fileName="a.png", useUniqueFileName="false", tags="keep", customMetadata='{"k": 1}')

    body = upload(
        fileName="a.png",
        useUniqueFileName="false",
        overwriteTags="false",
        overwriteCustomMetadata="false",
        responseFields="tags,customMetadata",
    ).json()

    assert body["tags"] == ["keep"]
    assert body["customMetadata"] == {"k": 1}


def test_it_refuses_a_taken_path_with_409_when_overwrite_file_is_false(upload):
    upload(fileName="a.png", useUniqueFileName="false")

    response = upload(fileName="a.png", useUniqueFileName="false", overwriteFile="false")

    assert response.status_code == 409
    assert response.json()["reason"] == "FILE_ALREADY_EXISTS"
    # ImageKit's SDKs would otherwise send the same doomed request twice more.
    assert response["x-should-retry"] == "false"
    assert set(response.json()) == {"message", "help", "reason"}
    assert AssetVersion.objects.count() == 1


def test_it_accepts_a_pdf_as_a_non_image_without_thumbnail(upload):
    pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

    body = upload(pdf, fileName="report.pdf", responseFields="metadata").json()

    assert body["fileType"] == "non-image"
    assert body["thumbnailUrl"] == ""
    assert (body["width"], body["height"]) == (None, None)
    assert Asset.objects.get().current_version.mime == "application/pdf"


def test_it_detects_the_real_image_type_from_the_content(upload):
    body = upload(make_image_bytes(fmt="PNG"), fileName="really-a-png.jpg").json()

    assert Asset.objects.get(file_id=body["fileId"]).current_version.mime == "image/png"


def test_it_refuses_a_pdf_named_like_an_image_with_415(upload):
    response = upload(b"%PDF-1.4\n%%EOF\n", fileName="photo.jpg")

    assert response.status_code == 415
    assert "application/pdf" in response.json()["message"]
    assert Asset.objects.count() == 0


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_it_refuses_a_truncated_image_and_stores_nothing(upload, fmt, media_storage):
    buffer = io.BytesIO()
    Image.effect_noise((300, 300), 80).convert("RGB").save(buffer, format=fmt)
    truncated = buffer.getvalue()[: len(buffer.getvalue()) // 2]

    response = upload(truncated, fileName=f"cut.{fmt.lower()}")

    assert response.status_code == 400
    assert "truncated" in response.json()["message"]
    assert Asset.objects.count() == 0
    assert stored_files(media_storage) == []


def test_it_refuses_a_decompression_bomb_with_413(upload, settings):
    settings.MEDIALIB_MAX_IMAGE_PIXELS = 1_000_000
    buffer = io.BytesIO()
    Image.new("1", (4000, 4000)).save(buffer, format="PNG", optimize=True)
    assert len(buffer.getvalue()) < 10_000, "a bomb is small on disk"

    response = upload(buffer.getvalue(), fileName="bomb.png")

    assert response.status_code == 413
    assert "pixels" in response.json()["message"]
    assert Asset.objects.count() == 0


def test_it_refuses_a_file_over_the_size_limit_with_413(upload, settings):
    settings.MEDIALIB_MAX_UPLOAD_BYTES = 1000

    response = upload(b"x" * 1001, fileName="big.txt")

    assert response.status_code == 413
    assert Asset.objects.count() == 0


@pytest.mark.parametrize(
    ("file_name", "stored_name"),
    [
        ("../../etc/passwd", "._._etc_passwd"),
        ("a/b\\c.png", "a_b_c.png"),
        ("tab\there\x7f.png", "tab_here_.png"),
        ("résumé 2024 (final).png", "résumé 2024 _final_.png"),
        ("..png", ".png"),
    ],
)
def test_it_sanitises_the_file_name(upload, file_name, stored_name):
    body = upload(fileName=file_name, useUniqueFileName="false").json()

    assert body["name"] == stored_name
    assert body["filePath"] == f"/{stored_name}"


@pytest.mark.parametrize(
    "folder", ["/a/../b", "..", "a\\b", "/a/\x01b", "/" + "/".join(["d"] * 51)]
)
def test_it_refuses_folder_tricks_with_400(upload, folder):
    response = upload(folder=folder)

    assert response.status_code == 400
    assert "folder" in response.json()["message"]
    assert Asset.objects.count() == 0
    assert Folder.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"useUniqueFileName": "yes"}, "useUniqueFileName"),
        ({"isPrivateFile": "1"}, "isPrivateFile"),
        ({"customMetadata": "{not json"}, "customMetadata"),
        ({"customMetadata": "[1, 2]"}, "customMetadata"),
        ({"customCoordinates": "1,2,3"}, "customCoordinates"),
        ({"customCoordinates": "a,b,c,d"}, "customCoordinates"),
        ({"tags": "x" * 501}, "tags"),
        ({"tags": "y" * 256}, "tags"),
        ({"folder": "/".join(["f" * 255] * 5)}, "folder"),
        ({"extensions": "[{"}, "extensions"),
        ({"fileName": ""}, "fileName"),
        ({"fileName": "..."}, "fileName"),
        ({"fileName": "nul\x00.png"}, "fileName"),
    ],
)
def test_it_refuses_bad_fields_with_400_naming_them(upload, fields, named):
    response = upload(**fields)

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"message", "help"}
    assert named in body["message"]
    assert Asset.objects.count() == 0


def test_it_refuses_an_upload_without_file(api_client):
    response = api_client.post("/api/v1/files/upload", {"fileName": "a.png"}, format="multipart")

    assert response.status_code == 400
    assert "file" in response.json()["message"]


def test_it_ignores_unknown_fields(upload):
    response = upload(checks='"file.size" < "1mb"', transformation='{"pre": "w-10"}', foo="bar")

    assert response.status_code == 200


def test_it_records_the_key_owner_as_the_version_author(upload, issued_key, django_user_model):
    owner = django_user_model.objects.create_user("owner")
    issued_key.api_key.created_by = owner
    issued_key.api_key.save()

    upload()

    assert AssetVersion.objects.get().created_by == owner


def test_an_overwrite_keeps_the_privacy_of_the_file_unless_given(upload):
    upload(fileName="a.png", useUniqueFileName="false", isPrivateFile="true", isPublished="false")

    kept = upload(
        fileName="a.png", useUniqueFileName="false", responseFields="isPrivateFile,isPublished"
    )
    changed = upload(
        fileName="a.png",
        useUniqueFileName="false",
        isPrivateFile="false",
        responseFields="isPrivateFile,isPublished",
    )

    assert (kept.json()["isPrivateFile"], kept.json()["isPublished"]) == (True, False)
    assert (changed.json()["isPrivateFile"], changed.json()["isPublished"]) == (False, False)


def test_a_new_file_is_public_and_published_by_default(upload):
    body = upload(responseFields="isPrivateFile,isPublished").json()

    assert (body["isPrivateFile"], body["isPublished"]) == (False, True)
