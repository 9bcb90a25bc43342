"""Bulk operations: POST /v1/files/addTags, /removeTags, /removeAITags, /batch/deleteByFileIds."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medialib import bulk
from medialib.api.inputs import json_object
from medialib.api.library_docs import (
    BULK_DELETED,
    BULK_UPDATED,
    FILE_IDS,
    MISSING_FILES,
    NAMES,
    body,
    errors,
)


class FilesAddTagsView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="files_add_tags",
        request=body("AddTags", fileIds=FILE_IDS, tags=NAMES),
        responses={200: BULK_UPDATED, **errors(), 404: MISSING_FILES},
    )
    def post(self, request: Request) -> Response:
        data = json_object(request)
        ids = bulk.assets_tags_add(file_ids=data.get("fileIds"), tags=data.get("tags"))
        return Response({"successfullyUpdatedFileIds": ids})


class FilesRemoveTagsView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="files_remove_tags",
        request=body("RemoveTags", fileIds=FILE_IDS, tags=NAMES),
        responses={200: BULK_UPDATED, **errors(), 404: MISSING_FILES},
    )
    def post(self, request: Request) -> Response:
        data = json_object(request)
        ids = bulk.assets_tags_remove(file_ids=data.get("fileIds"), tags=data.get("tags"))
        return Response({"successfullyUpdatedFileIds": ids})


class FilesRemoveAITagsView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="files_remove_ai_tags",
        request=body("RemoveAITags", fileIds=FILE_IDS, AITags=NAMES),
        responses={200: BULK_UPDATED, **errors(), 404: MISSING_FILES},
    )
    def post(self, request: Request) -> Response:
        data = json_object(request)
        ids = bulk.assets_ai_tags_remove(file_ids=data.get("fileIds"), ai_tags=data.get("AITags"))
        return Response({"successfullyUpdatedFileIds": ids})


class FilesBulkDeleteView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="files_bulk_delete",
        request=body("BulkDelete", fileIds=FILE_IDS),
        responses={200: BULK_DELETED, **errors(), 404: MISSING_FILES},
    )
    def post(self, request: Request) -> Response:
        data = json_object(request)
        ids = bulk.assets_delete_by_ids(file_ids=data.get("fileIds"))
        return Response({"successfullyDeletedFileIds": ids})
