"""Account-level API: /v1/accounts/webhooks (account event webhooks), /v1/accounts/usage,
/v1/files/purge, and the account features the self-hosted product refuses.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest, JsonResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import BadRequest, NotFound
from extensions import selectors as extension_selectors
from medialib import delivery
from medialib import services as medialib_services
from medialib.api.library_docs import errors
from medialib.api.parsers import JsonObjectParser
from medialib.api.serializers import StrictBooleanField
from medialib.models import CustomMetadataField
from medialib.services import metadata_fields
from medialib.wire import iso_timestamp
from webhooks import services as webhook_services
from webhooks.models import WebhookEndpoint


def webhook_object(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """The SDK's `Webhook` type."""
    return {
        "id": endpoint.endpoint_id,
        "endpoint": endpoint.url,
        "events": endpoint.events,
        "enabled": endpoint.enabled,
        "secret": endpoint.secret,
        "createdAt": iso_timestamp(endpoint.created_at),
        "updatedAt": iso_timestamp(endpoint.updated_at),
    }


class WebhookInputSerializer(serializers.Serializer):
    """The JSON body of POST (all of endpoint and events required) and PATCH (any) of a webhook."""

    endpoint = serializers.JSONField()
    events = serializers.JSONField()
    enabled = StrictBooleanField(required=False)

    def validate_endpoint(self, value: Any) -> str:
        exclude = self.context.get("exclude_pk")
        return webhook_services.clean_endpoint_url(value, exclude_pk=exclude)

    def validate_events(self, value: Any) -> list[str]:
        return webhook_services.clean_webhook_events(value)


class AccountWebhookListView(APIView):
    parser_classes = [JsonObjectParser]

    @extend_schema(
        operation_id="accounts_webhooks_list", responses={200: OpenApiResponse(), **errors()}
    )
    def get(self, request: Request) -> Response:
        return Response([webhook_object(endpoint) for endpoint in WebhookEndpoint.objects.all()])

    @extend_schema(
        operation_id="accounts_webhooks_create",
        request=WebhookInputSerializer,
        responses={201: OpenApiResponse(), **errors()},
    )
    def post(self, request: Request) -> Response:
        serializer = WebhookInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        endpoint = webhook_services.webhook_endpoint_create(
            url=data["endpoint"], events=data["events"], enabled=data.get("enabled", True)
        )
        return Response(webhook_object(endpoint), status=status.HTTP_201_CREATED)


class AccountWebhookView(APIView):
    parser_classes = [JsonObjectParser]

    @extend_schema(
        operation_id="accounts_webhooks_get", responses={200: OpenApiResponse(), **errors(404)}
    )
    def get(self, request: Request, endpoint_id: str) -> Response:
        endpoint = webhook_services.webhook_endpoint_get(endpoint_id=endpoint_id)
        return Response(webhook_object(endpoint))

    @extend_schema(
        operation_id="accounts_webhooks_update",
        request=WebhookInputSerializer,
        responses={200: OpenApiResponse(), **errors(404)},
    )
    def patch(self, request: Request, endpoint_id: str) -> Response:
        current = webhook_services.webhook_endpoint_get(endpoint_id=endpoint_id)
        serializer = WebhookInputSerializer(
            data=request.data, partial=True, context={"exclude_pk": current.pk}
        )
        serializer.is_valid(raise_exception=True)
        endpoint = webhook_services.webhook_endpoint_update(
            endpoint_id=endpoint_id, changes=dict(serializer.validated_data)
        )
        return Response(webhook_object(endpoint))

    @extend_schema(
        operation_id="accounts_webhooks_delete", responses={204: OpenApiResponse(), **errors(404)}
    )
    def delete(self, request: Request, endpoint_id: str) -> Response:
        webhook_services.webhook_endpoint_delete(endpoint_id=endpoint_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- usage -------------------------------------------------------------------------

USAGE_MAX_DAYS = 90


def _clean_date(value: Any, *, field: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise BadRequest(f"{field} must be a date in YYYY-MM-DD format.") from None


class AccountUsageView(APIView):
    """GET /v1/accounts/usage?startDate=&endDate=: both days included, at most 90 days."""

    @extend_schema(
        operation_id="accounts_usage_get",
        parameters=[
            OpenApiParameter("startDate", required=True),
            OpenApiParameter("endDate", required=True),
        ],
        responses={200: OpenApiResponse(), **errors()},
    )
    def get(self, request: Request) -> Response:
        for field in ("startDate", "endDate"):
            if not request.query_params.get(field):
                raise BadRequest(f"{field} is required.")
        start = _clean_date(request.query_params["startDate"], field="startDate")
        end = _clean_date(request.query_params["endDate"], field="endDate")
        if end < start:
            raise BadRequest("endDate must be after startDate.")
        if (end - start).days >= USAGE_MAX_DAYS:
            raise BadRequest(
                "The difference between startDate and endDate must be less than 90 days."
            )
        day_start = datetime.combine(start, time.min, tzinfo=UTC)
        day_after_end = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
        return Response(
            {
                "bandwidthBytes": medialib_services.bandwidth_bytes(start=start, end=end),
                "mediaLibraryStorageBytes": medialib_services.storage_bytes(),
                "extensionUnitsCount": extension_selectors.units_used(
                    start=day_start, end=day_after_end
                ),
                # No original cache and no video processing in the self-hosted product.
                "originalCacheStorageBytes": 0,
                "videoProcessingUnitsCount": 0,
            }
        )


# --- cache purge ----------------------------------------------------------------------


class PurgeInputSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=4096)

    def validate_url(self, value: str) -> str:
        if urlsplit(value).scheme not in ("http", "https"):
            raise BadRequest("url must be the full http(s) URL of a file.")
        return value


class PurgeView(APIView):
    """POST /v1/files/purge: drops the cached renditions of the file the URL names (or of
    every file under a path ending in `*`); done before the answer, so the request is
    complete at once (as ImageKit reports a finished purge)."""

    parser_classes = [JsonObjectParser]

    @extend_schema(
        operation_id="cache_invalidation_create",
        request=PurgeInputSerializer,
        responses={201: OpenApiResponse(), **errors()},
    )
    def post(self, request: Request) -> Response:
        serializer = PurgeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        medialib_services.renditions_purge(
            url=serializer.validated_data["url"], bases=delivery.served_bases(request)
        )
        return Response({"requestId": secrets.token_hex(12)}, status=status.HTTP_201_CREATED)


class PurgeStatusView(APIView):
    @extend_schema(
        operation_id="cache_invalidation_get", responses={200: OpenApiResponse(), **errors(404)}
    )
    def get(self, request: Request, request_id: str) -> Response:
        if not re.fullmatch(r"[0-9a-f]{24}", request_id):
            raise NotFound("No purge request found with requestId " + request_id)
        return Response({"status": "Completed"})


# --- refused ---------------------------------------------------------------------------

NOT_OFFERED = {
    "origins": "Account origins",
    "url-endpoints": "URL endpoints",
    "usage-analytics": "Usage analytics",
}


def account_feature_not_offered(request: HttpRequest, feature: str, rest: str = "") -> JsonResponse:
    """A clear 404 for account features a self-hosted library has no use for."""
    name = NOT_OFFERED.get(feature, feature)
    body = {
        "message": f"{name} are not offered by the self-hosted media library.",
        "help": "Files are stored and served by this server; see the README's SDK table.",
    }
    return JsonResponse(body, status=404)


# --- custom metadata fields ------------------------------------------------------------


def metadata_field_object(field: CustomMetadataField) -> dict[str, Any]:
    """The SDK's `CustomMetadataField` type."""
    body: dict[str, Any] = {
        "id": field.field_id,
        "name": field.name,
        "label": field.label,
        "schema": field.schema,
    }
    if field.description:
        body["description"] = field.description
    return body


class MetadataFieldInputSerializer(serializers.Serializer):
    """POST (name, label, schema required) and PATCH (label, description, schema) bodies;
    the rules are metadata_fields' own."""

    name = serializers.JSONField()
    label = serializers.JSONField()
    schema = serializers.JSONField()
    description = serializers.JSONField(required=False)


class CustomMetadataFieldListView(APIView):
    parser_classes = [JsonObjectParser]

    @extend_schema(
        operation_id="custom_metadata_fields_list",
        parameters=[OpenApiParameter("includeDeleted", bool), OpenApiParameter("folderPath")],
        responses={200: OpenApiResponse(), **errors()},
    )
    def get(self, request: Request) -> Response:
        include = request.query_params.get("includeDeleted", "false")
        if include not in ("true", "false"):
            raise BadRequest("includeDeleted must be true or false.")
        fields = CustomMetadataField.objects.all()
        if include == "false":
            fields = fields.filter(deleted=False)
        return Response([metadata_field_object(field) for field in fields])

    @extend_schema(
        operation_id="custom_metadata_fields_create",
        request=MetadataFieldInputSerializer,
        responses={201: OpenApiResponse(), **errors()},
    )
    def post(self, request: Request) -> Response:
        serializer = MetadataFieldInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        field = metadata_fields.field_create(**serializer.validated_data)
        return Response(metadata_field_object(field), status=status.HTTP_201_CREATED)


class CustomMetadataFieldView(APIView):
    parser_classes = [JsonObjectParser]

    @extend_schema(
        operation_id="custom_metadata_fields_update",
        request=MetadataFieldInputSerializer,
        responses={200: OpenApiResponse(), **errors(404)},
    )
    def patch(self, request: Request, field_id: str) -> Response:
        serializer = MetadataFieldInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if "name" in serializer.validated_data:
            raise BadRequest("name of a custom metadata field cannot be changed.")
        field = metadata_fields.field_update(
            field_id=field_id, changes=dict(serializer.validated_data)
        )
        return Response(metadata_field_object(field))

    @extend_schema(
        operation_id="custom_metadata_fields_delete",
        responses={204: OpenApiResponse(), **errors(404)},
    )
    def delete(self, request: Request, field_id: str) -> Response:
        metadata_fields.field_delete(field_id=field_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
