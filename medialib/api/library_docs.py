"""OpenAPI shapes of the list, bulk, version and path endpoints' answers and of the list's
query parameters (documentation only: the views answer with dicts, and
medialib.api.serializers validates the input)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from medialib.api.schema import ErrorSerializer


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ErrorSerializer) for code in (400, 401, *codes)}


def body(component: str, /, **fields: serializers.Field) -> serializers.Serializer:
    return inline_serializer(name=component, fields=fields)


BULK_UPDATED = body(
    "BulkUpdated", successfullyUpdatedFileIds=serializers.ListField(child=serializers.CharField())
)
BULK_DELETED = body(
    "BulkDeleted", successfullyDeletedFileIds=serializers.ListField(child=serializers.CharField())
)
MISSING_FILES = OpenApiResponse(
    ErrorSerializer, description="Some fileIds do not exist (`missingFileIds`); nothing changed"
)
EMPTY = body("Empty")

LIST_PARAMETERS = [
    OpenApiParameter("type", enum=["file", "file-version", "folder", "all"], default="file"),
    OpenApiParameter(
        "sort",
        enum=[
            f"{d}_{k}"
            for k in ("NAME", "CREATED", "UPDATED", "HEIGHT", "WIDTH", "SIZE")
            for d in ("ASC", "DESC")
        ],
        default="ASC_CREATED",
    ),
    OpenApiParameter("path", str, description="That folder only, e.g. /sales-banner/"),
    OpenApiParameter("fileType", enum=["all", "image", "non-image"], default="all"),
    OpenApiParameter("tags", str, description="Comma-separated: files with any of them"),
    OpenApiParameter("name", str, description="Exact name"),
    OpenApiParameter(
        "searchQuery",
        str,
        description='e.g. (size < "1mb" AND width > 500) OR (tags IN ["sale"]); '
        "tags, type and name are ignored when present",
    ),
    OpenApiParameter("skip", int, default=0),
    OpenApiParameter("limit", int, default=1000, description="1 to 1000"),
]
