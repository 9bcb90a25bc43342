"""Bulk operations: POST /v1/files/addTags, /removeTags, /removeAITags, /batch/deleteByFileIds."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medialib import bulk
from medialib.api.library_docs import BULK_DELETED, BULK_UPDATED, MISSING_FILES, errors
from medialib.api.parsers import JsonObjectParser
from medialib.api.serializers import (
    AITagsInputSerializer,
    FileIdsInputSerializer,
    TagsInputSerializer,
)


class BulkUpdateView(APIView):
    """A bulk change of tags: the body names the files; every one is changed, or none."""

    parser_classes = [JsonObjectParser]
    input_serializer: type[FileIdsInputSerializer]

    def post(self, request: Request) -> Response:
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response({"successfullyUpdatedFileIds": self.update(serializer.validated_data)})

    def update(self, data: dict[str, Any]) -> list[str]:
        """Change the files; return their fileIds."""
        raise NotImplementedError


def _bulk_update_schema(operation_id: str, request: type[FileIdsInputSerializer]) -> Any:
    return extend_schema_view(
        post=extend_schema(
            operation_id=operation_id,
            request=request,
            responses={200: BULK_UPDATED, **errors(), 404: MISSING_FILES},
        )
    )


@_bulk_update_schema("files_add_tags", TagsInputSerializer)
class FilesAddTagsView(BulkUpdateView):
    input_serializer = TagsInputSerializer

    def update(self, data: dict[str, Any]) -> list[str]:
        return bulk.assets_tags_add(file_ids=data["fileIds"], tags=data["tags"])


@_bulk_update_schema("files_remove_tags", TagsInputSerializer)
class FilesRemoveTagsView(BulkUpdateView):
    input_serializer = TagsInputSerializer

    def update(self, data: dict[str, Any]) -> list[str]:
        return bulk.assets_tags_remove(file_ids=data["fileIds"], tags=data["tags"])


@_bulk_update_schema("files_remove_ai_tags", AITagsInputSerializer)
class FilesRemoveAITagsView(BulkUpdateView):
    input_serializer = AITagsInputSerializer

    def update(self, data: dict[str, Any]) -> list[str]:
        return bulk.assets_ai_tags_remove(file_ids=data["fileIds"], ai_tags=data["AITags"])


class FilesBulkDeleteView(APIView):
    required_permissions = {"POST": ("medialib.delete_asset",)}
    parser_classes = [JsonObjectParser]

    @extend_schema(
        operation_id="files_bulk_delete",
        request=FileIdsInputSerializer,
        responses={200: BULK_DELETED, **errors(), 404: MISSING_FILES},
    )
    def post(self, request: Request) -> Response:
        serializer = FileIdsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = bulk.assets_delete_by_ids(file_ids=serializer.validated_data["fileIds"])
        return Response({"successfullyDeletedFileIds": ids})
