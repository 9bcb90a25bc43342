"""Reads of the media library, and the ImageKit file object built from them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest

from core.exceptions import NotFound
from medialib import delivery
from medialib.models import Asset, AssetTag, AssetVersion

FILE_NOT_FOUND_MESSAGE = "The requested file does not exist."

# The upload response: always these, plus `responseFields` from the optional set.
UPLOAD_RESPONSE_DEFAULT_FIELDS = (
    "fileId",
    "name",
    "size",
    "versionInfo",
    "filePath",
    "url",
    "fileType",
    "height",
    "width",
    "thumbnailUrl",
    "AITags",
)
UPLOAD_RESPONSE_OPTIONAL_FIELDS = (
    "tags",
    "customCoordinates",
    "isPrivateFile",
    "embeddedMetadata",
    "isPublished",
    "customMetadata",
    "metadata",
)


def assets_for_listing(queryset: QuerySet[Asset]) -> QuerySet[Asset]:
    """`queryset` loading folder, current version, tags and AI tags in a fixed number of queries.

    Use it for every query whose assets go through `file_details`.
    """
    return queryset.select_related("current_version", "folder").prefetch_related(
        Prefetch("asset_tags", queryset=AssetTag.objects.select_related("tag")),
        "ai_tags",
    )


def asset_get(*, file_id: str) -> Asset:
    """The asset with this fileId, ready for `file_details`; NotFound otherwise."""
    # PostgreSQL refuses NUL in text parameters; no real fileId has control characters.
    if not file_id.isprintable():
        raise NotFound(FILE_NOT_FOUND_MESSAGE)
    asset = assets_for_listing(Asset.objects.filter(file_id=file_id)).first()
    if asset is None or asset.current_version is None:
        raise NotFound(FILE_NOT_FOUND_MESSAGE)
    return asset


def asset_for_path(*, file_path: str) -> Asset | None:
    return Asset.objects.select_related("current_version").filter(file_path=file_path).first()


def iso_timestamp(value: datetime) -> str:
    """ImageKit's timestamps: ISO 8601, UTC, milliseconds, `Z`."""
    text = value.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def version_info(version: AssetVersion) -> dict[str, str]:
    return {"id": version.version_id, "name": f"Version {version.number}"}


def asset_tag_names(asset: Asset) -> list[str]:
    return [asset_tag.tag.name for asset_tag in asset.asset_tags.all()]


def asset_ai_tags(asset: Asset) -> list[dict[str, Any]] | None:
    tags = [
        {"name": tag.name, "confidence": float(tag.confidence), "source": tag.source}
        for tag in asset.ai_tags.all()
    ]
    return tags or None


def file_url(*, asset: Asset, request: HttpRequest | None = None) -> str:
    return delivery.path_url(file_path=asset.file_path, request=request)


def thumbnail_url(
    *, asset: Asset, version: AssetVersion | None = None, request: HttpRequest | None = None
) -> str:
    """The thumbnail's URL, "" for files without one (non-images), as ImageKit."""
    if not has_thumbnail(asset=asset, version=version or asset.current_version):
        return ""
    return delivery.path_url(
        file_path=asset.file_path,
        transformation=delivery.THUMBNAIL_TRANSFORMATION,
        request=request,
    )


def has_thumbnail(*, asset: Asset, version: AssetVersion | None) -> bool:
    """Images have one: made at upload, or on the first request (medialib.serving)."""
    if version is None:
        return False
    return bool(version.thumbnail_key) or asset.file_type == Asset.FileType.IMAGE


def viewer_urls(*, asset: Asset, request: HttpRequest | None = None) -> dict[str, str]:
    """URLs a signed-in UI user can open: signed when the file is not public."""
    if asset.is_private or not asset.is_published:
        url = delivery.signed_path_url(file_path=asset.file_path, request=request)
        thumbnail = (
            delivery.signed_path_url(
                file_path=asset.file_path,
                transformation=delivery.THUMBNAIL_TRANSFORMATION,
                request=request,
            )
            if has_thumbnail(asset=asset, version=asset.current_version)
            else ""
        )
        return {"url": url, "thumbnail": thumbnail}
    return {
        "url": file_url(asset=asset, request=request),
        "thumbnail": thumbnail_url(asset=asset, request=request),
    }


def file_metadata(version: AssetVersion) -> dict[str, Any]:
    """ImageKit's `metadata` object of a version (GET /v1/files/{id}/metadata)."""
    return {
        "height": version.height,
        "width": version.width,
        "size": version.size,
        "format": version.format,
        "hasColorProfile": bool(version.embedded_metadata.get("ICCProfile")),
        "quality": 0,
        "density": version.embedded_metadata.get("XResolution"),
        "hasTransparency": version.has_alpha,
        "exif": {},
        "pHash": "",
    }


def file_details(
    *,
    asset: Asset,
    request: HttpRequest | None = None,
    extension_status: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The ImageKit file object, as GET /v1/files/{fileId}/details returns it.

    `extensionStatus` is included when the caller passes a non-empty one (the
    latest run status of each extension, which the extensions app knows).
    """
    version = asset.current_version
    tags = asset_tag_names(asset)
    details: dict[str, Any] = {
        "type": "file",
        "fileId": asset.file_id,
        "name": asset.name,
        "filePath": asset.file_path,
        "url": file_url(asset=asset, request=request),
        "thumbnail": thumbnail_url(asset=asset, version=version, request=request),
        "fileType": asset.file_type,
        "mime": version.mime,
        "size": version.size,
        "height": version.height,
        "width": version.width,
        "hasAlpha": version.has_alpha,
        "tags": tags or None,
        "AITags": asset_ai_tags(asset),
        "customCoordinates": asset.custom_coordinates or None,
        "customMetadata": asset.custom_metadata or {},
        "description": asset.description,
        "isPrivateFile": asset.is_private,
        "isPublished": asset.is_published,
        "embeddedMetadata": version.embedded_metadata or {},
        "versionInfo": version_info(version),
        "createdAt": iso_timestamp(asset.created_at),
        "updatedAt": iso_timestamp(asset.updated_at),
    }
    if extension_status:
        details["extensionStatus"] = extension_status
    return details


def upload_response(
    *,
    asset: Asset,
    request: HttpRequest | None = None,
    response_fields: list[str] | tuple[str, ...] = (),
    extension_status: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The upload response: the default fields, those asked in `responseFields`,
    and `extensionStatus` when extensions were sent (`extension_status` not None)."""
    details = file_details(asset=asset, request=request)
    details["thumbnailUrl"] = details["thumbnail"]
    details["metadata"] = file_metadata(asset.current_version)
    wanted = [*UPLOAD_RESPONSE_DEFAULT_FIELDS]
    wanted += [name for name in UPLOAD_RESPONSE_OPTIONAL_FIELDS if name in response_fields]
    response = {name: details[name] for name in wanted}
    if extension_status is not None:
        response["extensionStatus"] = extension_status
    return response


def tag_name_variants(text: str) -> list[str]:
    """The spellings a tag or AI tag name is looked up in: as typed, lower, Capitalised,
    Title and UPPER case.

    Tags are written as people and providers write them ("red", "Red", "Ping-Pong
    Ball"); looking these spellings up uses the B-tree indexes on the names, where a
    case-insensitive comparison would scan every tag.
    """
    return list(dict.fromkeys([text, text.lower(), text.capitalize(), text.title(), text.upper()]))
