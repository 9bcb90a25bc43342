"""Serving stored files at their `url` (`/f/<filePath>`), and their transformations.

A public, published file is served to anyone. A private or unpublished one
only with a valid, unexpired signature (the product's own or one the SDK made,
medialib.delivery); anything else is a 404 that does not tell a private file
from a missing one. Local files are streamed; on S3 the response redirects to a
short-lived presigned URL.

Transformations come as ImageKit writes them, in the query (`?tr=w-300,h-200`)
or the path (`/f/tr:w-300,h-200/a.jpg`); both together chain path then query.
They are parsed (a bad one is a 400 JSON naming the parameter), rendered once
per (version, normalised transformation, format) and served from storage with
an ETag (304 on `If-None-Match`).
"""

from __future__ import annotations

from django.conf import settings
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    HttpResponseRedirect,
    JsonResponse,
)
from django.views.decorators.http import require_safe

from core.exceptions import ApplicationError
from medialib import delivery, images, renderer, selectors, services, storage, transformations
from medialib.models import Asset, AssetVersion
from medialib.services.named_transformations import named_transformation_text
from medialib.services.renditions import rendition_digest, rendition_ensure

NOT_SERVED = "The requested file does not exist."
# Uploaded SVG or HTML must not run scripts in this site's origin.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def _is_signed(request: HttpRequest, *, file_path: str, asset: Asset, query_tr: str) -> bool:
    if "ik-s" not in request.GET:
        return False
    own = file_path == asset.file_path.lstrip("/") and delivery.signature_is_valid(
        file_path=asset.file_path,
        transformation=query_tr,
        expire=request.GET.get("ik-t", ""),
        signature=request.GET.get("ik-s", ""),
    )
    return own or delivery.sdk_signature_is_valid(
        path_after_endpoint=file_path, query_string=request.META.get("QUERY_STRING", "")
    )


def _error(error: ApplicationError) -> JsonResponse:
    return JsonResponse(error.body(), status=error.status_code)


@require_safe
def serve_file(request: HttpRequest, file_path: str) -> HttpResponse:
    path_tr, lookup_path = delivery.split_path_transformation(file_path)
    query_tr = request.GET.get("tr", "")
    text = ":".join(part for part in (path_tr, query_tr) if part)
    asset = selectors.asset_for_path(file_path=f"/{lookup_path}")
    if asset is None or asset.current_version is None:
        raise Http404(NOT_SERVED)
    signed = _is_signed(request, file_path=file_path, asset=asset, query_tr=query_tr)
    public = not asset.is_private and asset.is_published
    if not (public or signed):
        raise Http404(NOT_SERVED)
    version = asset.current_version
    try:
        steps = transformations.parse(text, named=named_transformation_text) if text else []
    except ApplicationError as error:
        return _error(error)
    if not steps or transformations.wants_original(steps):
        return _respond(
            request,
            key=version.storage_key,
            content_type=version.mime,
            etag=f'"{version.checksum}"',
            size=version.size,
            attachment=not images.is_image_format(version.format),
            expires_at=_signed_until(request) if signed else None,
            # Short for public files: an overwrite serves new bytes at the same URL.
            cache_control="public, max-age=300" if public and not signed else "private, no-store",
        )
    if asset.file_type != Asset.FileType.IMAGE:
        return _error(
            ApplicationError(
                "Transformations apply to images only; this file is served as it is without one."
            )
        )
    if text == transformations.THUMBNAIL:
        return _serve_thumbnail(request, version=version, public=public and not signed)
    return _serve_rendition(request, version=version, steps=steps, public=public and not signed)


def _serve_thumbnail(request: HttpRequest, *, version: AssetVersion, public: bool) -> HttpResponse:
    """ImageKit's `thumbnailUrl`: the thumbnail stored at upload (made now if missing)."""
    key = services.version_thumbnail_ensure(version=version)
    if not key:
        raise Http404(NOT_SERVED)
    return _respond(
        request,
        key=key,
        content_type=images.thumbnail_mime(key.rsplit(".", 1)[-1]),
        etag=f'"{version.checksum}-t"',
        cache_control=_rendition_cache_control(public),
    )


def _signed_until(request: HttpRequest) -> int | None:
    """The expiry of a signed URL (`ik-t`), None for one that does not expire."""
    try:
        return int(request.GET["ik-t"])
    except (KeyError, ValueError):
        return None


def _rendition_cache_control(public: bool) -> str:
    if public:
        return f"public, max-age={settings.MEDIALIB_RENDITION_MAX_AGE}"
    return "private, no-store"


def _serve_rendition(
    request: HttpRequest, *, version: AssetVersion, steps: list, public: bool
) -> HttpResponse:
    normalised = transformations.normalise(steps)
    accept = request.headers.get("Accept", "")
    fmt = renderer.output_format(steps, source_format=version.format, accept=accept)
    digest = rendition_digest(transformation=normalised, fmt=fmt)
    etag = f'"{version.checksum[:20]}-{digest[:20]}"'
    vary = transformations.output_format_request(steps) == "auto"
    cache_control = _rendition_cache_control(public)
    if _not_modified(request, etag):
        return _not_modified_response(etag, cache_control, vary)
    try:
        rendition = rendition_ensure(
            version=version, steps=steps, transformation=normalised, fmt=fmt, digest=digest
        )
    except ApplicationError as error:
        return _error(error)
    response = _respond(
        request,
        key=rendition.storage_key,
        content_type=renderer.MIMES[fmt],
        etag=etag,
        cache_control=cache_control,
        size=rendition.size,
    )
    if vary:
        response["Vary"] = "Accept"
    return response


def _not_modified(request: HttpRequest, etag: str) -> bool:
    given = request.headers.get("If-None-Match", "")
    return bool(given) and (given.strip() == "*" or etag in [t.strip() for t in given.split(",")])


def _not_modified_response(etag: str, cache_control: str, vary: bool) -> HttpResponse:
    response = HttpResponseNotModified()
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    if vary:
        response["Vary"] = "Accept"
    return response


def _respond(
    request: HttpRequest,
    *,
    key: str,
    content_type: str,
    etag: str,
    cache_control: str,
    size: int = 0,
    attachment: bool = False,
    expires_at: int | None = None,
) -> HttpResponse:
    """The stored object `key` (of `size` bytes, when known) as the response.

    `attachment`: downloaded, never shown in the browser (files that are not images).
    `expires_at`: the Unix time the signed URL that led here expires.
    """
    if not storage.is_local():
        # The presigned URL ends no later than the signed URL that led to it.
        url = storage.url_for_key(
            key,
            content_type=content_type,
            attachment=attachment,
            expires_at=expires_at,
        )
        response: HttpResponse = HttpResponseRedirect(url)
    else:
        if _not_modified(request, etag):
            return _not_modified_response(etag, cache_control, vary=False)
        response = FileResponse(storage.open_key(key), content_type=content_type)
        response["ETag"] = etag
    response["Cache-Control"] = cache_control
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = _CSP
    # Counted for /v1/accounts/usage; an S3 redirect sends the object from there.
    sent = 0 if request.method == "HEAD" else int(response.get("Content-Length") or size)
    services.bandwidth_record(nbytes=sent)
    return response
