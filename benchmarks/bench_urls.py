"""The product's routes plus figure 1's two bench-only upload routes.

`bench/bare-upload`, the baseline: what any upload endpoint must do at the least: let
Django parse the multipart body (spooled to disk past FILE_UPLOAD_MAX_MEMORY_SIZE) and
stream the file to the same storage. No authentication, validation, inspection,
database or thumbnail.

`bench/framework-upload`, reported beside it: the same through the API's framework, a
DRF view with the API's key authentication, permissions, rate limits and parsers. What
it costs over the bare view is the framework's share of the upload API's; the rest is
the upload's own work.
"""

from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as product_urlpatterns
from medialib.api.auth import ApiKeyAuthentication


def _store(upload: UploadedFile, folder: str) -> str:
    """Store the posted file as is; its stored name."""
    return storages["default"].save(f"{folder}/{upload.name}", upload)


@csrf_exempt
def bare_upload(request: HttpRequest) -> JsonResponse:
    """Store the posted `file` as is and answer its stored name."""
    return JsonResponse({"name": _store(request.FILES["file"], "bench-bare")})


class FrameworkUpload(APIView):
    """`bare_upload` behind the upload API's authentication and permission checks."""

    authentication_classes = [ApiKeyAuthentication]
    parser_classes = [MultiPartParser, FormParser]
    is_upload_endpoint = True
    required_permissions = {"POST": ("medialib.add_asset",)}

    def post(self, request: Request) -> Response:
        return Response({"name": _store(request.data["file"], "bench-framework")})


urlpatterns = [
    path("bench/bare-upload", bare_upload),
    path("bench/framework-upload", FrameworkUpload.as_view()),
    *product_urlpatterns,
]
