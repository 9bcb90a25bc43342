"""Input parsing of the files API.

The input serializers only turn the wire format (multipart strings such as
"true", JSON strings) into Python values; the rules live in medialib.services.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanField(serializers.Field):
    """true/false (JSON) or "true"/"false" (form); anything else is a 400 naming the field.

    DRF's BooleanField would take "1", "yes" or "on", and a missing form field
    as False instead of the default.
    """

    default_error_messages = {"invalid": 'must be true or false, not "{value}".'}

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        if isinstance(data, str) and data.strip().lower() in ("true", "false"):
            return data.strip().lower() == "true"
        self.fail("invalid", value=str(data)[:50])
        raise AssertionError  # fail() raised

    def to_representation(self, value: bool) -> bool:
        return bool(value)


@extend_schema_field(OpenApiTypes.OBJECT)
class JsonStringField(serializers.Field):
    """A JSON value, given as JSON (JSON bodies) or as a JSON string (multipart forms)."""

    default_error_messages = {"invalid": "is not valid JSON: {error}."}

    def __init__(self, *, expect_object: bool = False, **kwargs: Any) -> None:
        self.expect_object = expect_object
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            if data.strip() == "":
                return None
            try:
                data = json.loads(data)
            except ValueError as error:
                self.fail("invalid", error=str(error))
        if self.expect_object and data is not None and not isinstance(data, dict):
            raise serializers.ValidationError("must be a JSON object.")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


@extend_schema_field(
    {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
)
class StringOrListField(serializers.Field):
    """ "a,b" or ["a", "b"] (tags, responseFields); kept as given for the service to parse."""

    def to_internal_value(self, data: Any) -> str | list[str]:
        if isinstance(data, str):
            return data
        if isinstance(data, list) and all(isinstance(item, str) for item in data):
            return data
        raise serializers.ValidationError("must be a comma-separated string or a list of strings.")

    def to_representation(self, value: Any) -> Any:
        return value


@extend_schema_field({"oneOf": [{"type": "string", "format": "binary"}, {"type": "string"}]})
class UploadSourceField(serializers.Field):
    """The `file` part: binary, or text holding an http(s) URL or base64 (a data: URI too)."""

    def to_internal_value(self, data: Any) -> UploadedFile | str:
        if isinstance(data, UploadedFile | str):
            return data
        raise serializers.ValidationError("must be a file, an http(s) URL or base64 text.")

    def to_representation(self, value: Any) -> str:
        return ""


def _comma_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else value
    return [item.strip() for item in items if item.strip()]


class UploadInputSerializer(serializers.Serializer):
    """The multipart form of POST /api/v1/files/upload. Unknown fields are ignored."""

    file = UploadSourceField()
    fileName = serializers.CharField(max_length=1024, trim_whitespace=False)
    useUniqueFileName = StrictBooleanField(default=True)
    folder = serializers.CharField(required=False, allow_blank=True, default="/", max_length=4096)
    tags = StringOrListField(required=False, allow_null=True)
    # No defaults: absent means "false"/"true" for a new file, "unchanged" on overwrite.
    isPrivateFile = StrictBooleanField(required=False)
    isPublished = StrictBooleanField(required=False)
    customCoordinates = serializers.CharField(required=False, allow_blank=True, max_length=255)
    customMetadata = JsonStringField(required=False, allow_null=True, expect_object=True)
    description = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=2048
    )
    extensions = JsonStringField(required=False, allow_null=True)
    webhookUrl = serializers.CharField(required=False, allow_blank=True, max_length=2048)
    overwriteFile = StrictBooleanField(default=True)
    overwriteAITags = StrictBooleanField(default=True)
    overwriteTags = StrictBooleanField(default=True)
    overwriteCustomMetadata = StrictBooleanField(default=True)
    responseFields = StringOrListField(required=False, allow_null=True)

    def upload_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of medialib.services.upload_file."""
        data = self.validated_data
        return {
            "file": data["file"],
            "file_name": data["fileName"],
            "use_unique_file_name": data["useUniqueFileName"],
            "folder": data["folder"],
            "tags": data.get("tags"),
            "is_private": data.get("isPrivateFile"),
            "is_published": data.get("isPublished"),
            "custom_coordinates": data.get("customCoordinates"),
            "custom_metadata": data.get("customMetadata"),
            "description": data.get("description"),
            "overwrite_file": data["overwriteFile"],
            "overwrite_ai_tags": data["overwriteAITags"],
            "overwrite_tags": data["overwriteTags"],
            "overwrite_custom_metadata": data["overwriteCustomMetadata"],
        }

    def response_fields(self) -> list[str]:
        return _comma_list(self.validated_data.get("responseFields"))


class PublishSerializer(serializers.Serializer):
    isPublished = StrictBooleanField()
    includeFileVersions = StrictBooleanField(required=False)


@extend_schema_field(
    {"oneOf": [{"type": "string", "enum": ["all"]}, {"type": "array", "items": {"type": "string"}}]}
)
class RemoveAITagsField(serializers.Field):
    def to_internal_value(self, data: Any) -> str | list[str]:
        if data == "all" or (isinstance(data, list) and all(isinstance(i, str) for i in data)):
            return data
        raise serializers.ValidationError('must be "all" or a list of AI tag names.')

    def to_representation(self, value: Any) -> Any:
        return value


class UpdateDetailsInputSerializer(serializers.Serializer):
    """The JSON body of PATCH /v1/files/{fileId}/details; absent fields stay unchanged."""

    tags = serializers.ListField(
        child=serializers.CharField(max_length=255), required=False, allow_null=True
    )
    customCoordinates = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=255
    )
    customMetadata = serializers.DictField(required=False, allow_null=True)
    description = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, trim_whitespace=False, max_length=2048
    )
    removeAITags = RemoveAITagsField(required=False)
    extensions = JsonStringField(required=False, allow_null=True)
    webhookUrl = serializers.CharField(required=False, allow_blank=True, max_length=2048)
    publish = PublishSerializer(required=False)

    def update_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of medialib.services.asset_update_details (absent ones omitted)."""
        data = self.validated_data
        names = {
            "tags": "tags",
            "customCoordinates": "custom_coordinates",
            "customMetadata": "custom_metadata",
            "description": "description",
            "removeAITags": "remove_ai_tags",
        }
        kwargs = {name: data[field] for field, name in names.items() if field in data}
        if "publish" in data:
            kwargs["is_published"] = data["publish"]["isPublished"]
        return kwargs
