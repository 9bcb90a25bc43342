"""ImageKit's JSON objects, built from library objects: the one home of the wire format.

The file object, the upload response, the file-version object, the folder object
of listings and the metadata object are made here and nowhere else; the API,
the listings and the webhook payloads all answer with them. Their OpenAPI
documentation is medialib.api.schema, and tests/medialib/test_wire_format.py
keeps the two in step.

Give these functions assets loaded by `selectors.assets_for_listing` (versions
by `listing.versions_for_listing`), or each object costs queries of its own; a
page of files goes through `file_objects`, loaded by `selectors.file_page`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest

from medialib import delivery, images
from medialib.models import Asset, AssetVersion, Folder
from medialib.selectors import FilePage

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


def iso_timestamp(value: datetime) -> str:
    """ImageKit's timestamps: ISO 8601, UTC, milliseconds, `Z`."""
    text = value.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def version_info(version: AssetVersion) -> dict[str, str]:
    """The `versionInfo` object: the version's id and its name ("Version 2")."""
    return {"id": version.version_id, "name": f"Version {version.number}"}


def _tag_names(asset: Asset) -> list[str]:
    return [asset_tag.tag.name for asset_tag in asset.asset_tags.all()]


def _ai_tag_rows(asset: Asset) -> list[tuple[str, Decimal, str]]:
    return [(tag.name, tag.confidence, tag.source) for tag in asset.ai_tags.all()]


def _embedded_metadata(asset: Asset, version: AssetVersion) -> dict[str, Any]:
    return images.visible_metadata(version.embedded_metadata or {}, is_private=asset.is_private)


def file_metadata(version: AssetVersion) -> dict[str, Any]:
    """ImageKit's `metadata` object of a version (GET /v1/files/{id}/metadata)."""
    return image_metadata(
        width=version.width,
        height=version.height,
        size=version.size,
        format=version.format,
        has_alpha=version.has_alpha,
        embedded_metadata=version.embedded_metadata,
    )


def _density(resolution: Any) -> int | None:
    """Whole DPI, as the SDK's `Metadata.density` (an int) declares: 71.98 is 72."""
    if isinstance(resolution, bool) or not isinstance(resolution, int | float):
        return None
    return round(resolution)


def image_metadata(
    *,
    width: int | None,
    height: int | None,
    size: int,
    format: str,
    has_alpha: bool,
    embedded_metadata: dict[str, Any],
) -> dict[str, Any]:
    """ImageKit's `metadata` object (a stored version, or a remote image by URL)."""
    return {
        "height": height,
        "width": width,
        "size": size,
        "format": format,
        "hasColorProfile": bool(embedded_metadata.get("ICCProfile")),
        "quality": 0,
        "density": _density(embedded_metadata.get("XResolution")),
        "hasTransparency": has_alpha,
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
    details = _file_object(
        asset,
        tag_names=_tag_names(asset),
        ai_tags=_ai_tag_rows(asset),
        urls=delivery.PathUrls(request, absolute=True),
    )
    if extension_status:
        details["extensionStatus"] = extension_status
    return details


def file_objects(page: FilePage, *, request: HttpRequest | None = None) -> list[dict[str, Any]]:
    """The file objects of a page of files (a listing), as `file_details` makes each."""
    urls = delivery.PathUrls(request, absolute=True)
    return [
        _file_object(
            asset,
            tag_names=page.tag_names.get(asset.pk, []),
            ai_tags=page.ai_tags.get(asset.pk, []),
            urls=urls,
        )
        for asset in page.assets
    ]


def _file_object(
    asset: Asset,
    *,
    tag_names: list[str],
    ai_tags: list[tuple[str, Decimal, str]],
    urls: delivery.PathUrls,
) -> dict[str, Any]:
    version = asset.current_version
    return {
        "type": "file",
        "fileId": asset.file_id,
        "name": asset.name,
        "filePath": asset.file_path,
        "url": urls.url(asset.file_path),
        "thumbnail": urls.thumbnail(asset=asset, version=version),
        "fileType": asset.file_type,
        "mime": version.mime,
        "size": version.size,
        "height": version.height,
        "width": version.width,
        "hasAlpha": version.has_alpha,
        "tags": tag_names or None,
        "AITags": [
            {"name": name, "confidence": float(confidence), "source": source}
            for name, confidence, source in ai_tags
        ]
        or None,
        "customCoordinates": asset.custom_coordinates or None,
        "customMetadata": asset.custom_metadata or {},
        "description": asset.description,
        "isPrivateFile": asset.is_private,
        "isPublished": asset.is_published,
        "embeddedMetadata": _embedded_metadata(asset, version),
        "versionInfo": version_info(version),
        "createdAt": iso_timestamp(asset.created_at),
        "updatedAt": iso_timestamp(asset.updated_at),
    }


def _version_url(url: str, version: AssetVersion) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}ik-obj-version={version.version_id}"


def version_details(*, version: AssetVersion, request: HttpRequest | None = None) -> dict[str, Any]:
    """The file object of one version: the asset's, with this version's own attributes.

    The current version is the file itself (`type` "file"); an older one is a
    "file-version" whose URLs name it with `ik-obj-version`, as ImageKit's.
    """
    asset = version.asset
    details = file_details(asset=asset, request=request)
    if version.pk == asset.current_version_id:
        return details
    thumbnail = ""
    if version.thumbnail_key:
        thumbnail = delivery.path_url(
            file_path=asset.file_path,
            transformation=delivery.THUMBNAIL_TRANSFORMATION,
            request=request,
        )
    details.update(
        {
            "type": "file-version",
            "url": _version_url(delivery.file_url(asset=asset, request=request), version),
            "thumbnail": _version_url(thumbnail, version) if thumbnail else "",
            "mime": version.mime,
            "size": version.size,
            "height": version.height,
            "width": version.width,
            "hasAlpha": version.has_alpha,
            "embeddedMetadata": _embedded_metadata(asset, version),
            "versionInfo": version_info(version),
            "createdAt": iso_timestamp(version.created_at),
            "updatedAt": iso_timestamp(version.created_at),
        }
    )
    return details


def folder_object(folder: Folder) -> dict[str, Any]:
    """The folder object of GET /v1/files listings."""
    return {
        "type": "folder",
        "folderId": folder.folder_id,
        "name": folder.name,
        "folderPath": folder.path,
        "createdAt": iso_timestamp(folder.created_at),
        "updatedAt": iso_timestamp(folder.updated_at),
    }


def transformation_url(*, asset: Asset, transformation: str) -> str:
    """The absolute, unsigned URL of a transformation of the file (a webhook's `url`)."""
    return delivery.absolute_url(
        delivery.path_url(file_path=asset.file_path, transformation=transformation)
    )


def post_transformation_url(*, asset: Asset, transformation_type: str, value: str) -> str:
    """The URL of an upload's `transformation.post` item; a `thumbnail` without a
    value is the stored thumbnail."""
    if transformation_type == "thumbnail" and not value:
        value = delivery.THUMBNAIL_TRANSFORMATION
    return transformation_url(asset=asset, transformation=value)


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
