"""The files API: upload, details, update, delete. Thin: validate, call a service, serialize."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import HELP, BadRequest, PayloadTooLarge
from medialib import selectors, services, sources, wire
from medialib.api.auth import (
    ApiKeyAuthentication,
    ApiKeyUser,
    UploadJwtAuthentication,
    UploadSignatureAuthentication,
    acting_user,
    change_origin_detail,
)
from medialib.api.extension_runs import (
    extension_runs_requested,
    extension_status_of,
    file_details_with_status,
)
from medialib.api.parsers import JsonObjectParser
from medialib.api.permissions import check_may_run_extensions
from medialib.api.schema import (
    ErrorSerializer,
    FileMetadataSerializer,
    FileObjectSerializer,
    UploadResponseSerializer,
)
from medialib.api.serializers import UpdateDetailsInputSerializer, UploadInputSerializer
from medialib.api.upload_limit import UploadLimitHandler

ERRORS = {
    code: OpenApiResponse(ErrorSerializer, description=description)
    for code, description in (
        (400, "Invalid input"),
        (401, "No, wrong or revoked API key"),
        (404, "No such file"),
    )
}


class FileUploadView(APIView):
    authentication_classes = [
        ApiKeyAuthentication,
        SessionAuthentication,
        UploadSignatureAuthentication,
    ]
    parser_classes = [MultiPartParser, FormParser]
    # Upload-scope keys may call this endpoint; signed-in users need add_asset.
    is_upload_endpoint = True
    required_permissions = {"POST": ("medialib.add_asset",)}

    @extend_schema(
        operation_id="files_upload",
        request={"multipart/form-data": UploadInputSerializer},
        responses={
            200: UploadResponseSerializer,
            **ERRORS,
            409: OpenApiResponse(ErrorSerializer, description="FILE_ALREADY_EXISTS"),
            413: OpenApiResponse(ErrorSerializer, description="File or image too large"),
            415: OpenApiResponse(ErrorSerializer, description="Content does not match the name"),
        },
        summary="Upload a file (ImageKit's upload API)",
    )
    def post(self, request: Request) -> Response:
        client_side = isinstance(request.user, ApiKeyUser) and request.user.via_signature
        if client_side:
            # Judged on the form as sent, before validation resolves a webhook host
            # or anything else a visitor may not ask for.
            raw = request.data
            source = raw.get("file")
            services.client_upload_check(
                use_unique_file_name=str(raw.get("useUniqueFileName", "")).strip().lower()
                != "false",
                folder=str(raw.get("folder") or "/"),
                is_published_given=bool(raw.get("isPublished")),
                has_extensions=bool(str(raw.get("extensions") or "").strip("[] \n")),
                has_webhook_url=bool(raw.get("webhookUrl")),
                source_is_url=isinstance(source, str)
                and source.strip().lower().startswith(("http://", "https://")),
            )
        serializer = UploadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        kwargs = serializer.upload_kwargs()
        if client_side:
            # A visitor never replaces a file, even where fixed names are allowed.
            kwargs["overwrite_file"] = False
        check_may_run_extensions(request, data.get("extensions", []))
        user = acting_user(request)
        runs = extension_runs_requested(
            requests=data.get("extensions", []),
            webhook_url=data.get("webhookUrl", ""),
            overwrite_ai_tags=data["overwriteAITags"],
            requested_by=user,
        )
        result = services.upload_file(
            **kwargs,
            created_by=user,
            origin_detail=change_origin_detail(request),
            hook=runs,
            request_id=getattr(request, "request_id", ""),
        )
        body = wire.upload_response(
            asset=result.asset,
            request=request,
            response_fields=serializer.response_fields(),
            extension_status=extension_status_of(runs),
        )
        return Response(body)

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        # First in line, so an oversized file stops before it is spooled to disk.
        request.upload_handlers.insert(0, UploadLimitHandler(request))
        return super().initialize_request(request, *args, **kwargs)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, RequestDataTooBig):
            # Form fields (a base64 `file`) beyond DATA_UPLOAD_MAX_MEMORY_SIZE.
            exc = PayloadTooLarge("The form fields are too large; send the file as a file part.")
        return super().handle_exception(exc)


class FileUploadV2View(FileUploadView):
    """Upload v2: as v1, but a client-side upload's `token` is a JWT over its parameters."""

    authentication_classes = [ApiKeyAuthentication, UploadJwtAuthentication]

    @extend_schema(
        operation_id="files_upload_v2",
        request={"multipart/form-data": UploadInputSerializer},
        responses={200: UploadResponseSerializer, **ERRORS},
        summary="Upload a file (ImageKit's upload API v2, JWT for client-side uploads)",
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


class FileDetailsView(APIView):
    parser_classes = [JsonObjectParser]

    @extend_schema(operation_id="files_details", responses={200: FileObjectSerializer, **ERRORS})
    def get(self, request: Request, file_id: str) -> Response:
        return Response(
            file_details_with_status(asset=selectors.asset_get(file_id=file_id), request=request)
        )

    @extend_schema(
        operation_id="files_update_details",
        request=UpdateDetailsInputSerializer,
        responses={200: FileObjectSerializer, **ERRORS},
    )
    def patch(self, request: Request, file_id: str) -> Response:
        asset = selectors.asset_get(file_id=file_id)
        serializer = UpdateDetailsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        check_may_run_extensions(request, data.get("extensions", []))
        runs = extension_runs_requested(
            requests=data.get("extensions", []),
            webhook_url=data.get("webhookUrl", ""),
            requested_by=acting_user(request),
        )
        asset = services.asset_update_details(asset=asset, **serializer.update_kwargs(), hook=runs)
        body = wire.file_details(
            asset=asset, request=request, extension_status=extension_status_of(runs)
        )
        return Response(body)


class FileView(APIView):
    @extend_schema(operation_id="files_get", responses={200: FileObjectSerializer, **ERRORS})
    def get(self, request: Request, file_id: str) -> Response:
        return Response(
            file_details_with_status(asset=selectors.asset_get(file_id=file_id), request=request)
        )

    @extend_schema(operation_id="files_delete", responses={204: None, **ERRORS})
    def delete(self, request: Request, file_id: str) -> Response:
        services.asset_delete(asset=selectors.asset_get(file_id=file_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class FileMetadataView(APIView):
    @extend_schema(operation_id="files_metadata", responses={200: FileMetadataSerializer, **ERRORS})
    def get(self, request: Request, file_id: str) -> Response:
        asset = selectors.asset_get(file_id=file_id)
        return Response(wire.file_metadata(asset.current_version))


class RemoteMetadataView(APIView):
    """GET /v1/metadata?url=: the metadata of a remote image, fetched by the guarded client."""

    @extend_schema(
        operation_id="files_metadata_from_url",
        parameters=[OpenApiParameter("url", required=True)],
        responses={200: FileMetadataSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        url = request.query_params.get("url", "")
        if not url:
            raise BadRequest("url is required.", field="url")
        inspection, size = sources.url_inspection(url)
        return Response(
            wire.image_metadata(
                width=inspection.width,
                height=inspection.height,
                size=size,
                format=inspection.format,
                has_alpha=inspection.has_alpha,
                embedded_metadata=inspection.embedded_metadata,
            )
        )


def api_route_not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """A JSON 404 for unknown API paths, so SDKs get the error shape they parse."""
    body = {"message": "The requested API endpoint does not exist.", "help": HELP}
    return JsonResponse(body, status=404)
