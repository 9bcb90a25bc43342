"""The wire format (medialib.wire) is what the published OpenAPI schema says it is.

Each object is built from real data and its keys compared with the serializer
of medialib.api.schema that documents it; the schema drf-spectacular publishes
must name the same properties. A key added to one side only fails here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

from medialib import listing, selectors, services, wire
from medialib.api.schema import (
    AITagSerializer,
    FileMetadataSerializer,
    FileObjectSerializer,
    FolderObjectSerializer,
    UploadResponseSerializer,
    VersionInfoSerializer,
)
from medialib.models import AITag, Asset, AssetVersion
from tests.factories import AssetFactory, FolderFactory, make_image_bytes

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Keys:
    """The keys an object always has (`required`) and may have (`optional`)."""

    required: frozenset[str]
    optional: frozenset[str]

    @property
    def every(self) -> frozenset[str]:
        return self.required | self.optional


def documented(serializer_class: type[serializers.Serializer]) -> Keys:
    fields = serializer_class().fields
    required = frozenset(name for name, field in fields.items() if field.required)
    return Keys(required=required, optional=frozenset(fields) - required)


def published(schema: dict[str, Any], component: str) -> Keys:
    body = schema["components"]["schemas"][component]
    required = frozenset(body.get("required", ()))
    return Keys(required=required, optional=frozenset(body["properties"]) - required)


def answer_component(schema: dict[str, Any], path: str, method: str) -> str:
    """The component documenting an operation's 200 answer (of its items, for a list)."""
    answer = schema["paths"][path][method]["responses"]["200"]["content"]["application/json"]
    body = answer["schema"]
    return body.get("items", body)["$ref"].rsplit("/", 1)[1]


def listed_component(schema: dict[str, Any], object_type: str) -> str:
    """The component GET /v1/files documents for a listed object of this `type`."""
    listed = schema["components"]["schemas"][answer_component(schema, "/v1/files", "get")]
    return listed["discriminator"]["mapping"][object_type].rsplit("/", 1)[1]


FILE_OBJECT = documented(FileObjectSerializer)
UPLOAD_RESPONSE = documented(UploadResponseSerializer)
FILE_METADATA = documented(FileMetadataSerializer)
FOLDER_OBJECT = documented(FolderObjectSerializer)
VERSION_INFO = documented(VersionInfoSerializer)
AI_TAG = documented(AITagSerializer)


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture
def asset() -> Asset:
    """A file with everything its object can show: tags, AI tags, metadata, coordinates."""
    created = AssetFactory(
        custom_metadata={"brand": "acme"}, custom_coordinates="1,2,3,4", description="A red box"
    )
    services.asset_tags_set(asset=created, names=["sale"])
    AITag.objects.create(
        asset=created, name="Box", confidence=Decimal("91.5"), source="google-auto-tagging"
    )
    return selectors.asset_get(file_id=created.file_id)


@pytest.mark.parametrize(
    ("path", "method", "serializer_class"),
    [
        ("/v1/files/{file_id}/details", "get", FileObjectSerializer),
        ("/v1/files/{file_id}/details", "patch", FileObjectSerializer),
        ("/v1/files/{file_id}", "get", FileObjectSerializer),
        ("/v1/files/{file_id}/versions", "get", FileObjectSerializer),
        ("/v1/files/{file_id}/versions/{version_id}", "get", FileObjectSerializer),
        ("/v1/files/{file_id}/versions/{version_id}/restore", "put", FileObjectSerializer),
        ("/api/v1/files/upload", "post", UploadResponseSerializer),
        ("/v1/files/{file_id}/metadata", "get", FileMetadataSerializer),
    ],
)
def test_the_schema_publishes_each_answer_as_its_serializer_documents_it(
    schema, path, method, serializer_class
):
    component = answer_component(schema, path, method)

    assert published(schema, component) == documented(serializer_class)


@pytest.mark.parametrize(
    ("component", "serializer_class"),
    [("VersionInfo", VersionInfoSerializer), ("AITag", AITagSerializer)],
)
def test_the_schema_publishes_the_nested_objects_as_documented(schema, component, serializer_class):
    assert published(schema, component) == documented(serializer_class)


def test_a_file_object_without_extension_status_has_exactly_the_required_keys(asset):
    details = wire.file_details(asset=asset)

    assert set(details) == FILE_OBJECT.required
    assert set(details["versionInfo"]) == VERSION_INFO.every
    assert [set(tag) for tag in details["AITags"]] == [AI_TAG.every]


def test_a_file_object_with_extension_status_has_every_documented_key(asset):
    details = wire.file_details(asset=asset, extension_status={"google-auto-tagging": "success"})

    assert set(details) == FILE_OBJECT.every


def test_a_listed_file_is_a_file_object(schema, asset):
    details = wire.file_details(asset=asset)

    assert listed_component(schema, details["type"]) == "FileObject"


def test_an_upload_response_without_response_fields_has_exactly_the_required_keys(asset):
    response = wire.upload_response(asset=asset)

    assert set(response) == UPLOAD_RESPONSE.required
    assert set(response["versionInfo"]) == VERSION_INFO.every
    assert [set(tag) for tag in response["AITags"]] == [AI_TAG.every]


def test_an_upload_response_with_every_response_field_has_every_documented_key(asset):
    response = wire.upload_response(
        asset=asset,
        response_fields=wire.UPLOAD_RESPONSE_OPTIONAL_FIELDS,
        extension_status={"remove-bg": "pending"},
    )

    assert set(response) == UPLOAD_RESPONSE.every
    assert set(response["metadata"]) == FILE_METADATA.every


def test_an_older_version_is_a_file_version_object_with_exactly_the_required_keys(schema, asset):
    services.asset_version_add(
        asset=asset, content=make_image_bytes((20, 10)), origin=AssetVersion.Origin.OVERWRITE
    )
    older = listing.asset_version_get(
        asset=asset, version_id=asset.versions.get(number=1).version_id
    )

    details = wire.version_details(version=older)

    assert details["type"] == "file-version"
    assert set(details) == FILE_OBJECT.required
    assert set(details["versionInfo"]) == VERSION_INFO.every
    assert listed_component(schema, details["type"]) == "FileObject"


def test_the_current_version_is_the_file_object(asset):
    current = listing.asset_version_get(asset=asset, version_id=asset.current_version.version_id)

    assert wire.version_details(version=current) == wire.file_details(asset=asset)


def test_a_folder_object_has_every_documented_key(schema):
    folder = wire.folder_object(FolderFactory())

    assert set(folder) == FOLDER_OBJECT.every
    assert listed_component(schema, folder["type"]) == "FolderObject"
    assert published(schema, "FolderObject") == FOLDER_OBJECT


def test_the_metadata_object_has_every_documented_key(asset):
    metadata = wire.file_metadata(asset.current_version)

    assert set(metadata) == FILE_METADATA.every
