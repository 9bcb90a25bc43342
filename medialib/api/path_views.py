"""Paths: POST /v1/files/copy, POST /v1/files/move, PUT /v1/files/rename, POST|DELETE /v1/folder."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medialib import folders
from medialib.api.inputs import json_object, optional_bool
from medialib.api.library_docs import EMPTY, body, errors
from medialib.api.schema import ErrorSerializer

PATH = serializers.CharField()
NO_CONTENT = OpenApiResponse(description="Done")


class FileCopyView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="files_copy",
        request=body(
            "CopyFile",
            sourceFilePath=PATH,
            destinationPath=PATH,
            includeFileVersions=serializers.BooleanField(default=False),
        ),
        responses={204: NO_CONTENT, **errors(404)},
    )
    def post(self, request: Request) -> Response:
        data = json_object(request)
        folders.asset_copy(
            source_file_path=data.get("sourceFilePath"),
            destination_path=data.get("destinationPath"),
            include_file_versions=optional_bool(data, "includeFileVersions"),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class FileMoveView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="files_move",
        request=body("MoveFile", sourceFilePath=PATH, destinationPath=PATH),
        responses={204: NO_CONTENT, **errors(404)},
    )
    def post(self, request: Request) -> Response:
        data = json_object(request)
        folders.asset_move(
            source_file_path=data.get("sourceFilePath"),
            destination_path=data.get("destinationPath"),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class FileRenameView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="files_rename",
        request=body(
            "RenameFile",
            filePath=PATH,
            newFileName=serializers.CharField(),
            purgeCache=serializers.BooleanField(default=False),
        ),
        responses={
            200: EMPTY,
            **errors(404),
            409: OpenApiResponse(ErrorSerializer, description="FILE_ALREADY_EXISTS"),
        },
    )
    def put(self, request: Request) -> Response:
        data = json_object(request)
        # purgeCache is accepted and has nothing to do: there is no CDN cache to purge.
        optional_bool(data, "purgeCache")
        folders.asset_rename(file_path=data.get("filePath"), new_file_name=data.get("newFileName"))
        return Response({})


class FolderView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="folder_create",
        request=body("CreateFolder", folderName=serializers.CharField(), parentFolderPath=PATH),
        responses={201: EMPTY, **errors()},
    )
    def post(self, request: Request) -> Response:
        data = json_object(request)
        folders.folder_create(
            folder_name=data.get("folderName"), parent_folder_path=data.get("parentFolderPath")
        )
        return Response({}, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="folder_delete",
        request=body("DeleteFolder", folderPath=PATH),
        responses={
            204: NO_CONTENT,
            **errors(),
            404: OpenApiResponse(ErrorSerializer, description="FOLDER_NOT_FOUND"),
        },
    )
    def delete(self, request: Request) -> Response:
        data = json_object(request)
        folders.folder_delete(folder_path=data.get("folderPath"))
        return Response(status=status.HTTP_204_NO_CONTENT)
