"""Account-level API: /v1/accounts/webhooks (account event webhooks), /v1/accounts/usage,
/v1/files/purge, and the account features the self-hosted product refuses.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medialib.api.library_docs import errors
from medialib.api.parsers import JsonObjectParser
from medialib.api.serializers import StrictBooleanField
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

    @extend_schema(operation_id="accounts_webhooks_list", responses={200: OpenApiResponse()})
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

    @extend_schema(operation_id="accounts_webhooks_get", responses={200: OpenApiResponse()})
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

    @extend_schema(operation_id="accounts_webhooks_delete", responses={204: OpenApiResponse()})
    def delete(self, request: Request, endpoint_id: str) -> Response:
        webhook_services.webhook_endpoint_delete(endpoint_id=endpoint_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
