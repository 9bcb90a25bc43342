"""Versions of a file: storing content, adding, copying, restoring, deleting, pruning."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import transaction

from core import events
from core.exceptions import BadRequest, NotFound
from medialib import images, storage
from medialib.events import (
    FileCreated,
    FileVersionCreated,
    FileVersionDeleted,
)
from medialib.models import (
    Asset,
    AssetVersion,
    generate_public_id,
)
from medialib.services.rules import clean_file_name
from medialib.sources import Spooled, spool_source

MAX_VERSIONS_PER_FILE = 100


def _version_copy(
    *,
    version: AssetVersion,
    to_asset: Asset,
    number: int,
    origin: str,
    written: list[str],
    version_id: str | None = None,
    created_by: AbstractBaseUser | None = None,
) -> AssetVersion:
    """A new version of `to_asset` holding copies of `version`'s stored object and thumbnail.

    It is not made current here. The keys written are appended to `written`, so a
    caller whose transaction fails can delete them again.
    """
    version_id = version_id or generate_public_id()
    name = version.name or to_asset.name
    with storage.open_key(version.storage_key) as source:
        key = storage.save(
            key=storage.version_key(file_id=to_asset.file_id, version_id=version_id, name=name),
            content=source,
            content_type=version.mime,
            attachment=not images.is_image_format(version.format),
        )
    written.append(key)
    thumbnail = ""
    if version.thumbnail_key:
        extension = version.thumbnail_key.rsplit(".", 1)[-1]
        with storage.open_key(version.thumbnail_key) as source:
            thumbnail = storage.save(
                key=storage.thumbnail_key(
                    file_id=to_asset.file_id, version_id=version_id, extension=extension
                ),
                content=source,
                content_type=images.thumbnail_mime(extension),
            )
        written.append(thumbnail)
    return AssetVersion.objects.create(
        version_id=version_id,
        asset=to_asset,
        number=number,
        name=name,
        storage_key=key,
        thumbnail_key=thumbnail,
        **version_content_fields(version),
        origin=origin,
        origin_detail=version.version_id,
        created_by=created_by,
    )


def asset_versions_append(
    *,
    asset: Asset,
    versions: Sequence[AssetVersion],
    origin: str,
    written: list[str],
    created_by: AbstractBaseUser | None = None,
) -> AssetVersion:
    """Copy `versions`, in order, to be the newest versions of `asset`; the last becomes current.

    The one way versions are copied: restores, and copies and moves onto a path
    (a new file or an existing one). Call inside `removing_written_on_error()`
    (with its list as `written`) and a transaction. As on upload, a file's first
    version takes its fileId as id, and a file with no version before is
    announced as created. `asset` is updated to match; returns the new current
    version.
    """
    # The lock serialises version numbering with concurrent uploads and restores.
    locked = Asset.objects.select_for_update().get(pk=asset.pk)
    is_new_file = locked.current_version_id is None
    number = max(locked.versions.values_list("number", flat=True), default=0)
    copy = None
    for version in versions:
        number += 1
        copy = _version_copy(
            version=version,
            to_asset=locked,
            number=number,
            origin=origin,
            written=written,
            version_id=locked.file_id if number == 1 else None,
            created_by=created_by,
        )
    if copy is None:
        raise ValueError("asset_versions_append needs at least one version to copy.")
    locked.current_version = copy
    locked.file_type = file_type_of(copy)
    locked.save(update_fields=["current_version", "file_type", "updated_at"])
    asset_versions_prune(asset=locked)
    announced = FileCreated if is_new_file else FileVersionCreated
    events.announce(announced(asset=locked, version=copy))
    asset.current_version = copy
    asset.file_type = locked.file_type
    asset.updated_at = locked.updated_at
    return copy


@contextmanager
def removing_written_on_error() -> Iterator[list[str]]:
    """A list collecting the stored keys a block writes, deleted again if the block raises.

    Enter it before `transaction.atomic()`, so the rollback comes first.
    """
    written: list[str] = []
    try:
        yield written
    except BaseException:
        storage.delete_now(written)
        raise


def asset_versions_prune(*, asset: Asset) -> int:
    """Keep at most MAX_VERSIONS_PER_FILE versions: delete the oldest non-current ones.

    Call inside the transaction that added a version. Pruning (rather than refusing
    the 101st version) keeps overwriting uploads and restores working forever.
    Returns how many were deleted; their stored objects go after the commit.
    """
    excess = asset.versions.count() - MAX_VERSIONS_PER_FILE
    if excess <= 0:
        return 0
    oldest = list(asset.versions.exclude(pk=asset.current_version_id).order_by("number")[:excess])
    storage.delete_on_commit(key for v in oldest for key in (v.storage_key, v.thumbnail_key))
    AssetVersion.objects.filter(pk__in=[v.pk for v in oldest]).delete()
    for version in oldest:
        events.announce(FileVersionDeleted(file_id=asset.file_id, version_id=version.version_id))
    return len(oldest)


def asset_version_restore(
    *, asset: Asset, version: AssetVersion, created_by: AbstractBaseUser | None = None
) -> AssetVersion:
    """Make a NEW current version copied from `version` (origin "restore").

    The stored object and thumbnail are copied, so deleting either version later
    leaves the other whole.
    """
    if version.asset_id != asset.pk:
        raise NotFound("The requested file version does not exist.")
    if version.pk == asset.current_version_id:
        raise BadRequest("This version is already the current version of the file.")
    with removing_written_on_error() as written, transaction.atomic():
        restored = asset_versions_append(
            asset=asset,
            versions=[version],
            origin=AssetVersion.Origin.RESTORE,
            written=written,
            created_by=created_by,
        )
    asset.refresh_from_db()
    return restored


def asset_version_delete(*, asset: Asset, version: AssetVersion) -> None:
    """Delete a non-current version; its stored objects go after the commit."""
    if version.asset_id != asset.pk:
        raise NotFound("The requested file version does not exist.")
    with transaction.atomic():
        locked = Asset.objects.select_for_update().get(pk=asset.pk)
        if version.pk == locked.current_version_id:
            raise BadRequest("The current version of a file cannot be deleted.")
        storage.delete_on_commit([version.storage_key, version.thumbnail_key])
        version.delete()
        events.announce(FileVersionDeleted(file_id=locked.file_id, version_id=version.version_id))


def file_type_of(version: AssetVersion) -> str:
    """The `fileType` of a file whose current version is `version`: the one rule for it.

    "image" for the raster formats an upload's inspection reads as images
    (medialib.images.is_image_format); anything else, an SVG included, is
    "non-image". It reads the stored format, so copies and restores agree with
    the upload without reading the bytes again.
    """
    if images.is_image_format(version.format):
        return Asset.FileType.IMAGE
    return Asset.FileType.NON_IMAGE


@dataclass
class PreparedContent:
    """Validated, inspected upload bytes, not stored yet."""

    spooled: Spooled
    inspection: images.Inspection

    def close(self) -> None:
        self.spooled.close()


# What a version records about its bytes; a copy carries these over unchanged.
CONTENT_FIELDS = (
    "size",
    "mime",
    "format",
    "width",
    "height",
    "has_alpha",
    "checksum",
    "embedded_metadata",
)


def version_content_fields(source: AssetVersion | PreparedContent) -> dict[str, Any]:
    """The CONTENT_FIELDS of a new version: another version's, or those of inspected bytes."""
    if isinstance(source, AssetVersion):
        return {name: getattr(source, name) for name in CONTENT_FIELDS}
    inspection = source.inspection
    return {
        "size": source.spooled.size,
        "mime": inspection.mime,
        "format": inspection.format,
        "width": inspection.width,
        "height": inspection.height,
        "has_alpha": inspection.has_alpha,
        "checksum": source.spooled.sha256,
        "embedded_metadata": inspection.embedded_metadata,
    }


def content_prepare(*, source: File | IO[bytes] | bytes | str, name: str) -> PreparedContent:
    spooled = spool_source(source)
    try:
        inspection = images.inspect(spooled.file, name=name)
    except BaseException:
        spooled.close()
        raise
    return PreparedContent(spooled=spooled, inspection=inspection)


def content_store(
    *, prepared: PreparedContent, file_id: str, version_id: str, name: str
) -> tuple[str, str]:
    """Store the bytes and the thumbnail; return (storage key, thumbnail key or "")."""
    key = storage.save(
        key=storage.version_key(file_id=file_id, version_id=version_id, name=name),
        content=prepared.spooled.file,
        content_type=prepared.inspection.mime,
        attachment=not prepared.inspection.is_image,
    )
    thumbnail = prepared.inspection.thumbnail
    if thumbnail is None:
        return key, ""
    try:
        thumbnail_key = storage.save(
            key=storage.thumbnail_key(
                file_id=file_id, version_id=version_id, extension=thumbnail.extension
            ),
            content=io.BytesIO(thumbnail.content),
            content_type=thumbnail.mime,
        )
    except BaseException:
        storage.delete_now([key])
        raise
    return key, thumbnail_key


def version_create(
    *,
    asset: Asset,
    prepared: PreparedContent,
    keys: tuple[str, str],
    version_id: str,
    name: str,
    origin: str,
    origin_detail: str = "",
    created_by: AbstractBaseUser | None = None,
    number: int | None = None,
) -> AssetVersion:
    """Create the next version of a (locked) asset and make it current.

    `number` is the version's number when the caller knows it (1 for a file it has
    just created); None reads the latest one.
    """
    if number is None:
        latest = asset.versions.order_by("-number").values_list("number", flat=True).first()
        number = (latest or 0) + 1
    version = AssetVersion.objects.create(
        version_id=version_id,
        asset=asset,
        number=number,
        name=name,
        storage_key=keys[0],
        thumbnail_key=keys[1],
        **version_content_fields(prepared),
        origin=origin,
        origin_detail=origin_detail,
        created_by=created_by,
    )
    asset.current_version = version
    asset.file_type = file_type_of(version)
    return version


def asset_version_add(
    *,
    asset: Asset,
    content: bytes | File,
    name: str | None = None,
    origin: str,
    origin_detail: str = "",
    created_by: AbstractBaseUser | None = None,
) -> AssetVersion:
    """Store `content` as the new current version of `asset` (validated, inspected, thumbnailed).

    The asset keeps its name and path; `name` is the stored file's name
    (default: the asset's).
    """
    version_name = clean_file_name(name) if name else asset.name
    prepared = content_prepare(source=content, name=version_name)
    version_id = generate_public_id()
    try:
        with removing_written_on_error() as written:
            keys = content_store(
                prepared=prepared, file_id=asset.file_id, version_id=version_id, name=version_name
            )
            written.extend(keys)
            with transaction.atomic():
                locked = Asset.objects.select_for_update().get(pk=asset.pk)
                version = version_create(
                    asset=locked,
                    prepared=prepared,
                    keys=keys,
                    version_id=version_id,
                    name=version_name,
                    origin=origin,
                    origin_detail=origin_detail,
                    created_by=created_by,
                )
                locked.save(update_fields=["current_version", "file_type", "updated_at"])
                asset_versions_prune(asset=locked)
                events.announce(FileVersionCreated(asset=locked, version=version))
    finally:
        prepared.close()
    asset.current_version = version
    asset.file_type = locked.file_type
    asset.updated_at = locked.updated_at
    return version


def version_thumbnail_ensure(*, version: AssetVersion) -> str:
    """The version's thumbnail key, made from the stored file if missing ("" for non-images).

    Safe to call concurrently: the key is recorded with a conditional update,
    and the loser of a race deletes its copy.
    """
    if version.thumbnail_key:
        return version.thumbnail_key
    with storage.open_version(version) as stored:
        thumbnail = images.thumbnail_from_file(stored)
    if thumbnail is None:
        return ""
    key = storage.save(
        key=storage.thumbnail_key(
            file_id=version.asset.file_id,
            version_id=version.version_id,
            extension=thumbnail.extension,
        ),
        content=io.BytesIO(thumbnail.content),
        content_type=thumbnail.mime,
    )
    won = AssetVersion.objects.filter(pk=version.pk, thumbnail_key="").update(thumbnail_key=key)
    if not won:
        storage.delete_now([key])
        version.refresh_from_db(fields=["thumbnail_key"])
        return version.thumbnail_key
    version.thumbnail_key = key
    return key
