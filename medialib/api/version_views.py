"""File versions: GET /v1/files/{fileId}/versions, GET|DELETE .../versions/{versionId},
PUT .../versions/{versionId}/restore."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medialib import listing, selectors, services, wire
from medialib.api.auth import acting_user
from medialib.api.extension_runs import file_details_with_status
from medialib.api.library_docs import errors
from medialib.api.schema import FileObjectSerializer


class FileVersionListView(APIView):
    @extend_schema(
        operation_id="files_versions_list",
        responses={200: FileObjectSerializer(many=True), **errors(404)},
    )
    def get(self, request: Request, file_id: str) -> Response:
        asset = selectors.asset_get(file_id=file_id)
        versions = listing.asset_versions(asset=asset)
        return Response(
            [wire.version_details(version=version, request=request) for version in versions]
        )


class FileVersionView(APIView):
    @extend_schema(
        operation_id="files_versions_get", responses={200: FileObjectSerializer, **errors(404)}
    )
    def get(self, request: Request, file_id: str, version_id: str) -> Response:
        asset = selectors.asset_get(file_id=file_id)
        version = listing.asset_version_get(asset=asset, version_id=version_id)
        return Response(wire.version_details(version=version, request=request))

    @extend_schema(operation_id="files_versions_delete", responses={204: None, **errors(404)})
    def delete(self, request: Request, file_id: str, version_id: str) -> Response:
        asset = selectors.asset_get(file_id=file_id)
        version = listing.asset_version_get(asset=asset, version_id=version_id)
        services.asset_version_delete(asset=asset, version=version)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FileVersionRestoreView(APIView):
    @extend_schema(
        operation_id="files_versions_restore",
        request=None,
        responses={200: FileObjectSerializer, **errors(404)},
    )
    def put(self, request: Request, file_id: str, version_id: str) -> Response:
        asset = selectors.asset_get(file_id=file_id)
        version = listing.asset_version_get(asset=asset, version_id=version_id)
        services.asset_version_restore(
            asset=asset, version=version, created_by=acting_user(request)
        )
        asset = selectors.asset_get(file_id=file_id)
        return Response(file_details_with_status(asset=asset, request=request))
