"""The product's own extension endpoints (not ImageKit's): which backend serves what.

`GET /v1/extensions`: each extension with the backend that serves it now and whether
its credentials are configured. `GET /v1/files/{fileId}/extension-runs`: every run of
a file, newest first, with the backend that served it, since the offline models serve
the public names under those names when no credentials are set.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from extensions.models import ExtensionRun
from extensions.selectors import extension_backends, extension_runs_of_asset
from medialib import selectors
from medialib.api.library_docs import errors
from medialib.wire import iso_timestamp


class ExtensionBackendSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    backend = serializers.CharField(
        allow_blank=True, help_text="The provider serving it now; empty when none can."
    )
    configured = serializers.BooleanField(help_text="Its own provider's credentials are set.")
    offlineFallback = serializers.BooleanField(
        help_text="Served by the offline model of its kind, for want of credentials."
    )
    units = serializers.IntegerField()


class RunErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class ExtensionRunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=ExtensionRun.Status.values)
    backend = serializers.CharField(allow_blank=True)
    unitsCharged = serializers.IntegerField()
    attempts = serializers.IntegerField()
    error = RunErrorSerializer(allow_null=True)
    createdAt = serializers.CharField()
    finishedAt = serializers.CharField(allow_null=True)


def run_object(run: ExtensionRun) -> dict[str, Any]:
    """One run on the wire (camelCase, ImageKit's timestamps)."""
    error = None
    if run.error_code or run.error_message:
        error = {"code": run.error_code, "message": run.error_message}
    return {
        "id": run.pk,
        "name": run.name,
        "status": run.status,
        "backend": run.backend,
        "unitsCharged": run.units_charged,
        "attempts": run.attempts,
        "error": error,
        "createdAt": iso_timestamp(run.created_at),
        "finishedAt": iso_timestamp(run.finished_at) if run.finished_at else None,
    }


class ExtensionListView(APIView):
    @extend_schema(
        operation_id="extensions_list",
        responses={200: ExtensionBackendSerializer(many=True), **errors()},
        description="Each extension with the backend serving it now (this product's own).",
    )
    def get(self, request: Request) -> Response:
        return Response(
            [
                {
                    "name": state.name,
                    "label": state.label,
                    "backend": state.backend,
                    "configured": state.configured,
                    "offlineFallback": state.fallback,
                    "units": state.units,
                }
                for state in extension_backends()
            ]
        )


class FileExtensionRunListView(APIView):
    @extend_schema(
        operation_id="files_extension_runs_list",
        responses={200: ExtensionRunSerializer(many=True), **errors(404)},
        description="Every extension run of the file, newest first (this product's own).",
    )
    def get(self, request: Request, file_id: str) -> Response:
        asset = selectors.asset_get(file_id=file_id)
        return Response([run_object(run) for run in extension_runs_of_asset(asset=asset)])
