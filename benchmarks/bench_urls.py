"""The product's routes plus `bench/bare-upload`: the baseline of figure 1.

The bare view does what any upload endpoint must do at the least: let Django parse the
multipart body (spooled to disk past FILE_UPLOAD_MAX_MEMORY_SIZE) and stream the file
to the same storage. No authentication, validation, inspection, database or thumbnail.
"""

from django.core.files.storage import storages
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as product_urlpatterns


@csrf_exempt
def bare_upload(request: HttpRequest) -> JsonResponse:
    """Store the posted `file` as is and answer its stored name."""
    upload = request.FILES["file"]
    name = storages["default"].save(f"bench-bare/{upload.name}", upload)
    return JsonResponse({"name": name})


urlpatterns = [path("bench/bare-upload", bare_upload), *product_urlpatterns]
