"""Uploads: a new file, or a new version of the file at the same path."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from typing import IO, Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import IntegrityError, transaction

from core import events
from core.exceptions import BadRequest, Conflict
from medialib import selectors
from medialib.events import (
    ChangeHook,
    FileCreated,
    FileVersionCreated,
    UploadPreTransformSucceeded,
)
from medialib.models import (
    Asset,
    AssetVersion,
    generate_public_id,
)
from medialib.services.ai_tags import ALL_AI_TAGS, ai_tags_remove
from medialib.services.assets import asset_tags_set, folder_ensure
from medialib.services.rules import join_file_path, unique_file_name
from medialib.services.upload_transformations import (
    UploadTransformation,
    content_pre_transform,
    post_transformations_dispatch,
    post_transformations_entries,
)
from medialib.services.versions import (
    asset_versions_prune,
    content_prepare,
    content_store,
    removing_written_on_error,
    version_create,
)


@dataclass(frozen=True)
class UploadResult:
    asset: Asset
    version: AssetVersion


def upload_file(
    *,
    file: File | IO[bytes] | bytes | str,
    file_name: str,
    use_unique_file_name: bool = True,
    folder: str = "/",
    tags: list[str] | None = None,
    is_private: bool | None = None,
    is_published: bool | None = None,
    custom_coordinates: str | None = None,
    custom_metadata: dict[str, Any] | None = None,
    description: str | None = None,
    overwrite_file: bool = True,
    overwrite_ai_tags: bool = True,
    overwrite_tags: bool = True,
    overwrite_custom_metadata: bool = True,
    created_by: AbstractBaseUser | None = None,
    origin_detail: str = "",
    hook: ChangeHook | None = None,
    transformation: UploadTransformation | None = None,
    request_id: str = "",
) -> UploadResult:
    """Upload a file (a file object or bytes, an http(s) URL, or base64 text).

    The name, folder path and details are clean (medialib.services.rules); None
    means not given. The content is fetched and inspected before anything is written;
    then the bytes are stored, and the asset, its version, tags and the
    `hook`'s rows are written in one transaction (the stored bytes are removed
    if it fails). The hook is handed the validated bytes before they are stored, and
    its work is started after the commit. An existing path
    with use_unique_file_name=False becomes a new version of that file, or a
    409 (reason FILE_ALREADY_EXISTS) with overwrite_file=False. An overwrite
    keeps the file's privacy and publication unless is_private / is_published
    are given (None): a new version must not make a private file public.
    `origin_detail` records who made it when no user did (a client-side upload).
    `transformation` (medialib.services.upload_transformations): `pre` is applied
    to the bytes before they are stored; `post` renditions are queued after the commit.
    `request_id` (the request's `x-ik-requestId`; generated when not given) is
    carried by the upload transformation events.
    """
    request_id = request_id or str(uuid.uuid4())
    name = unique_file_name(file_name) if use_unique_file_name else file_name
    file_path = join_file_path(folder, name)
    if len(file_path) > Asset._meta.get_field("file_path").max_length:
        raise BadRequest("The file path (folder and name) is too long.")
    existing = None
    if not use_unique_file_name:
        # A unique name's random suffix (62^9 choices) names no file yet; were it
        # taken after all, the INSERT below fails on the unique path (409).
        existing = next(iter(Asset.objects.filter(file_path=file_path).order_by()[:1]), None)
    if existing is not None and not overwrite_file:
        raise _file_exists(file_path)

    prepared = content_prepare(source=file, name=name)
    pre = transformation.pre if transformation is not None else ""
    post = transformation.post if transformation is not None else ()
    if pre:
        prepared = content_pre_transform(
            prepared=prepared,
            pre=pre,
            file_name=name,
            file_path=file_path,
            request_id=request_id,
        )
    if hook is not None:
        # Work on the bytes (a provider call) overlaps with storing them and the writes.
        hook.content_ready(
            mime=prepared.inspection.mime,
            read=functools.partial(_content_bytes, prepared.spooled.file),
        )
    file_id = existing.file_id if existing else generate_public_id()
    version_id = generate_public_id() if existing else file_id
    try:
        with removing_written_on_error() as written:
            keys = content_store(
                prepared=prepared, file_id=file_id, version_id=version_id, name=name
            )
            written.extend(keys)
            with transaction.atomic():
                asset = None
                if existing is not None:
                    asset = Asset.objects.select_for_update().filter(file_path=file_path).first()
                    if asset is not None and (not overwrite_file or asset.file_id != file_id):
                        raise _file_exists(file_path)
                # A path that was free: another upload creating it meanwhile makes the
                # INSERT below fail on the unique path (IntegrityError, below: 409).
                overwriting = asset is not None
                if asset is None:
                    asset = Asset(file_id=file_id, file_path=file_path, name=name)
                asset.folder = folder_ensure(path=folder)
                if is_private is not None:
                    asset.is_private = is_private
                if is_published is not None:
                    asset.is_published = is_published
                if custom_coordinates is not None or overwriting:
                    asset.custom_coordinates = custom_coordinates or ""
                if custom_metadata is not None or (overwriting and overwrite_custom_metadata):
                    asset.custom_metadata = custom_metadata or {}
                if description is not None:
                    asset.description = description
                asset.save()
                version = version_create(
                    asset=asset,
                    prepared=prepared,
                    keys=keys,
                    version_id=version_id,
                    name=name,
                    origin=(
                        AssetVersion.Origin.OVERWRITE if overwriting else AssetVersion.Origin.UPLOAD
                    ),
                    origin_detail=origin_detail,
                    created_by=created_by,
                    # A new file's first version: no query for the latest number.
                    number=None if overwriting else 1,
                )
                if post:
                    version.post_transformations = post_transformations_entries(
                        post, request_id=request_id
                    )
                    version.save(update_fields=["post_transformations"])
                asset.save(update_fields=["current_version", "file_type", "updated_at"])
                if overwriting:
                    asset_versions_prune(asset=asset)
                asset_tags = []
                if tags is not None or (overwriting and overwrite_tags):
                    asset_tags = asset_tags_set(asset=asset, names=tags or [])
                if overwriting and overwrite_ai_tags:
                    ai_tags_remove(asset=asset, names=ALL_AI_TAGS)
                if overwriting:
                    events.announce(FileVersionCreated(asset=asset, version=version))
                else:
                    events.announce(FileCreated(asset=asset, version=version))
                if pre:
                    events.announce(
                        UploadPreTransformSucceeded(
                            asset=asset,
                            version=version,
                            transformation=pre,
                            request_id=request_id,
                        )
                    )
                if hook is not None:
                    hook.in_transaction(asset=asset, version=version, created=not overwriting)
    except IntegrityError:
        if not Asset.objects.filter(file_path=file_path).exists():
            raise
        # Another upload created the same path meanwhile; a retry overwrites it.
        raise _file_exists(file_path) from None
    finally:
        prepared.close()
    if hook is not None:
        hook.after_commit()
    if post:
        post_transformations_dispatch(version_id=version.version_id)
    if overwriting:
        # Kept tags and AI tags.
        return UploadResult(asset=selectors.asset_get(file_id=asset.file_id), version=version)
    # A new file: its rows are in hand; AI tags only if the hook wrote some after the commit.
    ai_tags = selectors.ai_tags_of(asset=asset) if hook is not None else []
    loaded = selectors.asset_as_loaded(asset=asset, asset_tags=asset_tags, ai_tags=ai_tags)
    return UploadResult(asset=loaded, version=version)


def _content_bytes(file: IO[bytes]) -> bytes:
    file.seek(0)
    return file.read()


def _file_exists(file_path: str) -> Conflict:
    return Conflict(
        f"A file already exists at {file_path}; upload with overwriteFile=true to "
        "add a new version, or useUniqueFileName=true.",
        reason="FILE_ALREADY_EXISTS",
    )
