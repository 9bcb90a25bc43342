"""GET /v1/files: list and search files, file versions and folders."""

from __future__ import annotations

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medialib import listing
from medialib.api.library_docs import LIST_PARAMETERS, errors
from medialib.api.schema import FileObjectSerializer, FolderObjectSerializer
from medialib.api.serializers import FileListInputSerializer


class FileListView(APIView):
    @extend_schema(
        operation_id="files_list",
        parameters=LIST_PARAMETERS,
        responses={
            200: PolymorphicProxySerializer(
                component_name="FileOrFolder",
                serializers={
                    "file": FileObjectSerializer,
                    "file-version": FileObjectSerializer,
                    "folder": FolderObjectSerializer,
                },
                resource_type_field_name="type",
                many=True,
            ),
            **errors(),
        },
    )
    def get(self, request: Request) -> Response:
        serializer = FileListInputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        query = listing.ListQuery(**serializer.validated_data)
        return Response(listing.library_list(query=query, request=request))
