"""/v1/saved-extensions: named extension configurations (create, list, get, update, delete)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from extensions import services as extension_services
from extensions.models import SavedExtension
from medialib.api.library_docs import errors
from medialib.api.parsers import JsonObjectParser
from medialib.wire import iso_timestamp


def saved_extension_object(saved: SavedExtension) -> dict[str, Any]:
    """The SDK's `SavedExtension` type."""
    return {
        "id": saved.saved_id,
        "name": saved.name,
        "description": saved.description,
        "config": saved.config,
        "createdAt": iso_timestamp(saved.created_at),
        "updatedAt": iso_timestamp(saved.updated_at),
    }


class SavedExtensionInputSerializer(serializers.Serializer):
    """POST (all required) and PATCH (any) bodies; the rules are the service's own."""

    name = serializers.JSONField()
    description = serializers.JSONField()
    config = serializers.JSONField()


class SavedExtensionListView(APIView):
    parser_classes = [JsonObjectParser]

    @extend_schema(
        operation_id="saved_extensions_list", responses={200: OpenApiResponse(), **errors()}
    )
    def get(self, request: Request) -> Response:
        return Response([saved_extension_object(saved) for saved in SavedExtension.objects.all()])

    @extend_schema(
        operation_id="saved_extensions_create",
        request=SavedExtensionInputSerializer,
        responses={201: OpenApiResponse(), **errors()},
    )
    def post(self, request: Request) -> Response:
        serializer = SavedExtensionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        saved = extension_services.saved_extension_create(**serializer.validated_data)
        return Response(saved_extension_object(saved), status=status.HTTP_201_CREATED)


class SavedExtensionView(APIView):
    parser_classes = [JsonObjectParser]

    @extend_schema(
        operation_id="saved_extensions_get", responses={200: OpenApiResponse(), **errors(404)}
    )
    def get(self, request: Request, saved_id: str) -> Response:
        saved = extension_services.saved_extension_get(saved_id=saved_id)
        return Response(saved_extension_object(saved))

    @extend_schema(
        operation_id="saved_extensions_update",
        request=SavedExtensionInputSerializer,
        responses={200: OpenApiResponse(), **errors(404)},
    )
    def patch(self, request: Request, saved_id: str) -> Response:
        serializer = SavedExtensionInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        saved = extension_services.saved_extension_update(
            saved_id=saved_id, changes=dict(serializer.validated_data)
        )
        return Response(saved_extension_object(saved))

    @extend_schema(
        operation_id="saved_extensions_delete",
        responses={204: OpenApiResponse(), **errors(404)},
    )
    def delete(self, request: Request, saved_id: str) -> Response:
        extension_services.saved_extension_delete(saved_id=saved_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
