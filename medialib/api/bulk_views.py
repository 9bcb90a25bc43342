"""Bulk operations: POST /v1/files/addTags, /removeTags, /removeAITags, /batch/deleteByFileIds."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
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


class FilesAddTagsView(APIView):
    parser_classes = [JsonObjectParser]

    @extend_schema(
        operation_id="files_add_tags",
        request=TagsInputSerializer,
        responses={200: BULK_UPDATED, **errors(), 404: MISSING_FILES},
    )
    def post(self, request: Request) -> Response:
        serializer = TagsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ids = bulk.assets_tags_add(file_ids=data["fileIds"], tags=data["tags"])
        return Response({"successfullyUpdatedFileIds": ids})


class FilesRemoveTagsView(APIView):
    parser_classes = [JsonObjectParser]

    @extend_schema(
        operation_id="files_remove_tags",
        request=TagsInputSerializer,
        responses={200: BULK_UPDATED, **errors(), 404: MISSING_FILES},
    )
    def post(self, request: Request) -> Response:
        serializer = TagsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ids = bulk.assets_tags_remove(file_ids=data["fileIds"], tags=data["tags"])
        return Response({"successfullyUpdatedFileIds": ids})


class FilesRemoveAITagsView(APIView):
    parser_classes = [JsonObjectParser]

    @extend_schema(
        operation_id="files_remove_ai_tags",
        request=AITagsInputSerializer,
        responses={200: BULK_UPDATED, **errors(), 404: MISSING_FILES},
    )
    def post(self, request: Request) -> Response:
        serializer = AITagsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ids = bulk.assets_ai_tags_remove(file_ids=data["fileIds"], ai_tags=data["AITags"])
        return Response({"successfullyUpdatedFileIds": ids})


class FilesBulkDeleteView(APIView):
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
