"""Named transformations: GET|POST /v1/named-transformations, GET|PATCH|DELETE .../{id}.

As the SDK's `client.named_transformations` calls them; the names are usable in
delivery URLs as `n-<name>`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import NotFound
from medialib import wire
from medialib.api.library_docs import errors
from medialib.api.parsers import JsonObjectParser
from medialib.models import NamedTransformation
from medialib.services import named_transformations as service


class NamedTransformationInputSerializer(serializers.Serializer):
    """Shapes only: the rules on names and strings live in the service's clean_* functions."""

    name = serializers.CharField(max_length=200, trim_whitespace=False)
    transformation = serializers.CharField(max_length=2000)
    enabled = serializers.BooleanField(required=False)


class NamedTransformationSerializer(serializers.Serializer):
    """The wire shape (documentation only)."""

    id = serializers.CharField()
    name = serializers.CharField()
    transformation = serializers.CharField()
    enabled = serializers.BooleanField()
    createdAt = serializers.DateTimeField()


NAMED_TRANSFORMATION = NamedTransformationSerializer


def named_transformation_wire(named: NamedTransformation) -> dict[str, Any]:
    return {
        "id": named.public_id,
        "name": named.name,
        "transformation": named.transformation,
        "enabled": named.enabled,
        "createdAt": wire.iso_timestamp(named.created_at),
    }


def _get(named_id: str) -> NamedTransformation:
    named = NamedTransformation.objects.filter(public_id=named_id).first()
    if named is None:
        raise NotFound("The requested named transformation does not exist.")
    return named


class NamedTransformationListView(APIView):
    parser_classes = [JsonObjectParser]

    @extend_schema(
        operation_id="named_transformations_list",
        responses={200: NAMED_TRANSFORMATION(many=True), **errors()},
    )
    def get(self, request: Request) -> Response:
        return Response([named_transformation_wire(n) for n in NamedTransformation.objects.all()])

    @extend_schema(
        operation_id="named_transformations_create",
        request=NamedTransformationInputSerializer,
        responses={201: NAMED_TRANSFORMATION, **errors(409)},
    )
    def post(self, request: Request) -> Response:
        serializer = NamedTransformationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        named = service.named_transformation_create(**serializer.validated_data)
        return Response(named_transformation_wire(named), status=status.HTTP_201_CREATED)


class NamedTransformationView(APIView):
    parser_classes = [JsonObjectParser]

    @extend_schema(
        operation_id="named_transformations_get",
        responses={200: NAMED_TRANSFORMATION, **errors(404)},
    )
    def get(self, request: Request, named_id: str) -> Response:
        return Response(named_transformation_wire(_get(named_id)))

    @extend_schema(
        operation_id="named_transformations_update",
        request=NamedTransformationInputSerializer(partial=True),
        responses={200: NAMED_TRANSFORMATION, **errors(404, 409)},
    )
    def patch(self, request: Request, named_id: str) -> Response:
        named = _get(named_id)
        serializer = NamedTransformationInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        named = service.named_transformation_update(named=named, **serializer.validated_data)
        return Response(named_transformation_wire(named))

    @extend_schema(
        operation_id="named_transformations_delete", responses={204: None, **errors(404)}
    )
    def delete(self, request: Request, named_id: str) -> Response:
        service.named_transformation_delete(named=_get(named_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
