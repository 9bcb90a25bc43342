"""Serving stored files at their `url` (`/f/<filePath>`), and their thumbnails.

A public, published file is served to anyone. A private or unpublished one
only with a valid, unexpired signature (medialib.delivery); anything else is a
404 that does not tell a private file from a missing one. Local files are
streamed; on S3 the response redirects to a short-lived presigned URL.
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_safe

from medialib import delivery, images, selectors, services, storage

NOT_SERVED = "The requested file does not exist."


@require_safe
def serve_file(request: HttpRequest, file_path: str) -> HttpResponse:
    transformation = request.GET.get("tr", "")
    if transformation not in ("", delivery.THUMBNAIL_TRANSFORMATION):
        raise Http404(NOT_SERVED)
    asset = selectors.asset_for_path(file_path=f"/{file_path}")
    if asset is None or asset.current_version is None:
        raise Http404(NOT_SERVED)
    signed = delivery.signature_is_valid(
        file_path=asset.file_path,
        transformation=transformation,
        expire=request.GET.get("ik-t", ""),
        signature=request.GET.get("ik-s", ""),
    )
    public = not asset.is_private and asset.is_published
    if not (public or signed):
        raise Http404(NOT_SERVED)
    version = asset.current_version
    if transformation:
        key = services.version_thumbnail_ensure(version=version)
        if not key:
            raise Http404(NOT_SERVED)
        content_type = images.thumbnail_mime(key.rsplit(".", 1)[-1])
        attachment = False
    else:
        key = version.storage_key
        content_type = version.mime
        attachment = not images.is_image_format(version.format)
    # Signed URLs must not be kept by shared caches beyond their expiry.
    # Short for public files too: an overwrite serves new bytes at the same URL.
    cache_control = "public, max-age=300" if public and not signed else "private, no-store"
    if not storage.is_local():
        # The presigned URL ends no later than the signed URL that led to it.
        url = storage.url_for_key(
            key,
            content_type=content_type,
            attachment=attachment,
            expires_at=int(request.GET["ik-t"]) if signed else None,
        )
        response: HttpResponse = HttpResponseRedirect(url)
    else:
        response = FileResponse(storage.open_key(key), content_type=content_type)
        response["ETag"] = f'"{version.checksum}{"-t" if transformation else ""}"'
    response["Cache-Control"] = cache_control
    response["X-Content-Type-Options"] = "nosniff"
    # Uploaded SVG or HTML must not run scripts in this site's origin.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response
