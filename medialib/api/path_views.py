"""Paths: POST /v1/files/copy, POST /v1/files/move, PUT /v1/files/rename, POST|DELETE /v1/folder."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medialib import folders
from medialib.api.library_docs import EMPTY, errors
from medialib.api.parsers import JsonObjectParser
from medialib.api.schema import ErrorSerializer
from medialib.api.serializers import (
    CopyFileInputSerializer,
    CreateFolderInputSerializer,
    DeleteFolderInputSerializer,
    MoveFileInputSerializer,
    RenameFileInputSerializer,
)

NO_CONTENT = OpenApiResponse(description="Done")


class FileCopyView(APIView):
    required_permissions = {"POST": ("medialib.add_asset",)}
    parser_classes = [JsonObjectParser]

    @extend_schema(
        operation_id="files_copy",
        request=CopyFileInputSerializer,
        responses={204: NO_CONTENT, **errors(404)},
    )
    def post(self, request: Request) -> Response:
        serializer = CopyFileInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        folders.asset_copy(
            source_file_path=data["sourceFilePath"],
            destination_path=data["destinationPath"],
            include_file_versions=data["includeFileVersions"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class FileMoveView(APIView):
    parser_classes = [JsonObjectParser]

    @extend_schema(
        operation_id="files_move",
        request=MoveFileInputSerializer,
        responses={204: NO_CONTENT, **errors(404)},
    )
    def post(self, request: Request) -> Response:
        serializer = MoveFileInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        folders.asset_move(
            source_file_path=data["sourceFilePath"], destination_path=data["destinationPath"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class FileRenameView(APIView):
    parser_classes = [JsonObjectParser]

    @extend_schema(
        operation_id="files_rename",
        request=RenameFileInputSerializer,
        responses={
            200: EMPTY,
            **errors(404),
            409: OpenApiResponse(ErrorSerializer, description="FILE_ALREADY_EXISTS"),
        },
    )
    def put(self, request: Request) -> Response:
        serializer = RenameFileInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        folders.asset_rename(file_path=data["filePath"], new_file_name=data["newFileName"])
        return Response({})


class FolderView(APIView):
    required_permissions = {
        "POST": ("medialib.add_folder",),
        "DELETE": ("medialib.delete_folder", "medialib.delete_asset"),
    }
    parser_classes = [JsonObjectParser]

    @extend_schema(
        operation_id="folder_create",
        request=CreateFolderInputSerializer,
        responses={201: EMPTY, **errors()},
    )
    def post(self, request: Request) -> Response:
        serializer = CreateFolderInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        folders.folder_create(path=serializer.validated_data["path"])
        return Response({}, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="folder_delete",
        request=DeleteFolderInputSerializer,
        responses={
            204: NO_CONTENT,
            **errors(),
            404: OpenApiResponse(ErrorSerializer, description="FOLDER_NOT_FOUND"),
        },
    )
    def delete(self, request: Request) -> Response:
        serializer = DeleteFolderInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        folders.folder_delete(path=serializer.validated_data["folderPath"])
        return Response(status=status.HTTP_204_NO_CONTENT)
