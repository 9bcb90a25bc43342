"""Input of the files API, one serializer per operation.

An input serializer turns the wire format (multipart strings such as "true", JSON
strings, query parameters) into Python values, and its `validate_<field>` methods
apply the rules of medialib.services.rules, so a view hands clean, typed values to a
service. A value breaking a rule is answered at once with the rule's BadRequest, which
names the field in the same words whichever endpoint takes it; DRF's own checks
(required, blank, too long) answer as "field: detail".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

from django.core.files.uploadedfile import UploadedFile
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from core.exceptions import BadRequest
from extensions.services import ExtensionRequest, clean_extensions
from medialib import listing, search
from medialib.services import rules
from webhooks.services import clean_webhook_url

# Fields ------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanField(serializers.Field):
    """true/false (JSON) or "true"/"false" (form); anything else is a 400 naming the field.

    DRF's BooleanField would take "1", "yes" or "on", and a missing form field
    as False instead of the default. A JSON null means the default, as absence does.
    """

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is None and self.default is not empty:
            return True, self.get_default()
        return super().validate_empty_values(data)

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        if isinstance(data, str) and data.strip().lower() in ("true", "false"):
            return data.strip().lower() == "true"
        raise BadRequest(f'{self.field_name} must be true or false, not "{str(data)[:50]}".')

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
            except RecursionError:
                self.fail("invalid", error="nested too deeply")
        if self.expect_object and data is not None and not isinstance(data, dict):
            raise serializers.ValidationError("must be a JSON object.")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


@extend_schema_field(
    {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
)
class StringOrListField(serializers.Field):
    """ "a,b" or ["a", "b"] (tags, responseFields), kept as given for its rule."""

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


class RawField(serializers.Field):
    """A JSON value as sent, for its rule (the serializer's `validate_<field>`) to judge.

    The rules check the type too, so that every fault of the field, a missing or
    null value included, is answered in the rule's words.
    """

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is None or (data is empty and self.required):
            return True, None
        return super().validate_empty_values(data)

    def to_internal_value(self, data: Any) -> Any:
        return data

    def to_representation(self, value: Any) -> Any:
        return value


@extend_schema_field(OpenApiTypes.STR)
class RawStringField(RawField):
    """A path or a name."""


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class RawStringListField(RawField):
    """fileIds or tag names."""


@extend_schema_field(
    {"oneOf": [{"type": "string", "enum": ["all"]}, {"type": "array", "items": {"type": "string"}}]}
)
class RawRemoveAITagsField(RawField):
    """removeAITags: "all" or AI tag names."""


class ParameterChoiceField(serializers.Field):
    """A query parameter naming one of `choices`; a 400 listing them otherwise."""

    def __init__(self, choices: Sequence[str], **kwargs: Any) -> None:
        self.choices = tuple(choices)
        super().__init__(**kwargs)

    def to_internal_value(self, data: str) -> str:
        if data not in self.choices:
            raise BadRequest(
                f"{self.field_name} must be one of {', '.join(self.choices)}; got '{data}'."
            )
        return data


class ParameterIntegerField(serializers.Field):
    """A query parameter holding an integer from `low` to `high`."""

    def __init__(self, *, low: int, high: int, **kwargs: Any) -> None:
        self.low = low
        self.high = high
        super().__init__(**kwargs)

    def to_internal_value(self, data: str) -> int:
        try:
            value = int(data)
        except ValueError:
            raise BadRequest(f"{self.field_name} must be an integer; got '{data}'.") from None
        if not self.low <= value <= self.high:
            raise BadRequest(
                f"{self.field_name} must be between {self.low} and {self.high}; got {value}."
            )
        return value


def _comma_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else value
    return [item.strip() for item in items if item.strip()]


# Upload and details update ------------------------------------------------------------


class FileChangeInputSerializer(serializers.Serializer):
    """What an upload and a details update both take: the extensions to run with their
    webhook, and the rules of the file's details (declared by each, a form or JSON)."""

    extensions = JsonStringField(required=False, allow_null=True)
    webhookUrl = serializers.CharField(required=False, allow_blank=True, max_length=2048)

    def validate_extensions(self, value: Any) -> list[ExtensionRequest]:
        return clean_extensions(value)

    def validate_webhookUrl(self, value: str) -> str:
        # Checked even without extensions, as ImageKit does.
        return clean_webhook_url(value) if value else ""

    def validate_tags(self, value: str | list[str] | None) -> list[str] | None:
        return rules.clean_tags(value)

    def validate_customCoordinates(self, value: str | None) -> str:
        return rules.clean_custom_coordinates(value)

    def validate_customMetadata(self, value: Any) -> dict[str, Any]:
        return rules.clean_custom_metadata(value)

    def validate_description(self, value: str | None) -> str:
        return rules.clean_description(value)


class UploadInputSerializer(FileChangeInputSerializer):
    """The multipart form of POST /api/v1/files/upload. Unknown fields are ignored.

    A detail left out (a blank customMetadata too) is None for the service: a new
    file gets the default, an overwrite follows the overwrite* flags.
    """

    file = UploadSourceField()
    fileName = serializers.CharField(max_length=1024, trim_whitespace=False)
    useUniqueFileName = StrictBooleanField(default=True)
    folder = serializers.CharField(required=False, allow_blank=True, default="/", max_length=4096)
    tags = StringOrListField(required=False, allow_null=True)
    # No defaults: absent means "false"/"true" for a new file, "unchanged" on overwrite.
    isPrivateFile = StrictBooleanField(required=False)
    isPublished = StrictBooleanField(required=False)
    customCoordinates = serializers.CharField(required=False, allow_blank=True, max_length=255)
    customMetadata = JsonStringField(required=False, expect_object=True)
    description = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=2048
    )
    overwriteFile = StrictBooleanField(default=True)
    overwriteAITags = StrictBooleanField(default=True)
    overwriteTags = StrictBooleanField(default=True)
    overwriteCustomMetadata = StrictBooleanField(default=True)
    responseFields = StringOrListField(required=False, allow_null=True)

    def validate_fileName(self, value: str) -> str:
        return rules.clean_file_name(value)

    def validate_folder(self, value: str) -> str:
        return rules.clean_folder_path(value)

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


class UpdateDetailsInputSerializer(FileChangeInputSerializer):
    """The JSON body of PATCH /v1/files/{fileId}/details; absent fields stay unchanged,
    null ones are cleared."""

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
    removeAITags = RawRemoveAITagsField(required=False)
    publish = PublishSerializer(required=False)

    def validate_removeAITags(self, value: Any) -> list[str] | Literal["all"]:
        return rules.clean_ai_tag_names(value)

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


# Bulk operations ----------------------------------------------------------------------


class FileIdsInputSerializer(serializers.Serializer):
    """The JSON body of POST /v1/files/batch/deleteByFileIds, and the start of every bulk body."""

    fileIds = RawStringListField(help_text=f"At most {rules.MAX_BULK_FILE_IDS} fileIds.")

    def validate_fileIds(self, value: Any) -> list[str]:
        return rules.clean_file_ids(value)


class TagsInputSerializer(FileIdsInputSerializer):
    """The JSON body of POST /v1/files/addTags and /v1/files/removeTags."""

    tags = RawStringListField()

    def validate_tags(self, value: Any) -> list[str]:
        return rules.clean_tag_names(value, field="tags")


class AITagsInputSerializer(FileIdsInputSerializer):
    """The JSON body of POST /v1/files/removeAITags."""

    AITags = RawStringListField()

    def validate_AITags(self, value: Any) -> list[str]:
        return rules.clean_tag_names(value, field="AITags")


# Paths ----------------------------------------------------------------------------------


class MoveFileInputSerializer(serializers.Serializer):
    """The JSON body of POST /v1/files/move."""

    sourceFilePath = RawStringField()
    destinationPath = RawStringField()

    def validate_sourceFilePath(self, value: Any) -> str:
        return rules.clean_file_path(value, field="sourceFilePath")

    def validate_destinationPath(self, value: Any) -> str:
        return rules.clean_folder_path(value, field="destinationPath")


class CopyFileInputSerializer(MoveFileInputSerializer):
    """The JSON body of POST /v1/files/copy."""

    includeFileVersions = StrictBooleanField(default=False)


class RenameFileInputSerializer(serializers.Serializer):
    """The JSON body of PUT /v1/files/rename."""

    filePath = RawStringField()
    newFileName = RawStringField()
    # Accepted and nothing to do: there is no CDN cache to purge.
    purgeCache = StrictBooleanField(default=False)

    def validate_filePath(self, value: Any) -> str:
        return rules.clean_file_path(value, field="filePath")

    def validate_newFileName(self, value: Any) -> str:
        name = rules.clean_single_name(value, field="newFileName")
        return rules.clean_file_name(name, field="newFileName")


class CreateFolderInputSerializer(serializers.Serializer):
    """The JSON body of POST /v1/folder, validated into the new folder's `path`."""

    folderName = RawStringField()
    parentFolderPath = RawStringField()

    def validate_folderName(self, value: Any) -> str:
        return rules.clean_single_name(value, field="folderName")

    def validate_parentFolderPath(self, value: Any) -> str:
        return rules.clean_folder_path(value, field="parentFolderPath")

    def validate(self, attrs: dict[str, str]) -> dict[str, str]:
        # The whole path too: the new folder may be one level too deep, or too long.
        path = rules.join_file_path(attrs["parentFolderPath"], attrs["folderName"])
        return {"path": rules.clean_folder_path(path, field="folderName")}


class DeleteFolderInputSerializer(serializers.Serializer):
    """The JSON body of DELETE /v1/folder."""

    folderPath = RawStringField()

    def validate_folderPath(self, value: Any) -> str:
        return rules.clean_folder_path(value, field="folderPath")


# Listing --------------------------------------------------------------------------------

LIST_TYPES = ("file", "file-version", "folder", "all")
LIST_FILE_TYPES = ("all", "image", "non-image")
MAX_LIST_LIMIT = 1000


class FileListInputSerializer(serializers.Serializer):
    """The query of GET /v1/files, validated into the fields of listing.ListQuery."""

    type = ParameterChoiceField(LIST_TYPES, default="file")
    sort = ParameterChoiceField(listing.SORTS, default="ASC_CREATED")
    path = serializers.CharField(default=None, trim_whitespace=False)
    fileType = ParameterChoiceField(LIST_FILE_TYPES, default="all", source="file_type")
    tags = serializers.CharField(default="", trim_whitespace=False)
    name = serializers.CharField(default="", trim_whitespace=False)
    searchQuery = serializers.CharField(default="", trim_whitespace=False, source="search_query")
    skip = ParameterIntegerField(low=0, high=2**31 - 1, default=0)
    limit = ParameterIntegerField(low=1, high=MAX_LIST_LIMIT, default=MAX_LIST_LIMIT)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        # Any parameter, even one this endpoint ignores.
        for name, value in data.items():
            if "\x00" in value:
                raise BadRequest(f"{name} must not contain NUL characters.")
        return super().to_internal_value(data)

    def validate_path(self, value: str | None) -> str | None:
        return None if value is None else rules.clean_folder_path(value, field="path")

    def validate_tags(self, value: str) -> tuple[str, ...]:
        return tuple(_comma_list(value))

    def validate_searchQuery(self, value: str) -> search.Node | None:
        return search.parse(value) if value.strip() else None
