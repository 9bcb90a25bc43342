"""Files and their details: updating, tagging, deleting; folders made on the way."""

from __future__ import annotations

from typing import Any, Literal

from django.db import transaction
from django.db.models import QuerySet

from core import events
from medialib import selectors, storage
from medialib.events import (
    ChangeHook,
    FileDeleted,
    FileUpdated,
    FolderCreated,
)
from medialib.models import (
    Asset,
    AssetTag,
    AssetVersion,
    Folder,
    Tag,
)
from medialib.services.ai_tags import ai_tags_remove
from medialib.services.rules import UNSET, Unset, clean_custom_metadata


def assets_delete(*, assets: QuerySet[Asset]) -> int:
    """Delete assets with all their versions (rows now, stored objects after the commit).

    Call inside a transaction; returns how many assets were deleted.
    """
    keys = [
        key
        for pair in AssetVersion.objects.filter(asset__in=assets).values_list(
            "storage_key", "thumbnail_key"
        )
        for key in pair
    ]
    deleted = list(assets.values_list("pk", "file_id", "file_path"))
    ids = [pk for pk, _, _ in deleted]
    for _, file_id, file_path in deleted:
        events.announce(FileDeleted(file_id=file_id, file_path=file_path))
    # current_version points back at the versions; clear it so the cascade has no cycle.
    Asset.objects.filter(pk__in=ids).update(current_version=None)
    Asset.objects.filter(pk__in=ids).delete()
    storage.delete_on_commit(keys)
    return len(ids)


def folder_ensure(*, path: str) -> Folder | None:
    """The folder at a normalised path, created with its parents; None for the root."""
    if path == "/":
        return None
    parent = None
    current = ""
    for segment in path.strip("/").split("/"):
        current = f"{current}/{segment}"
        parent, created = Folder.objects.get_or_create(
            path=current, defaults={"name": segment, "parent": parent}
        )
        if created:
            events.announce(FolderCreated(folder=parent))
    return parent


def asset_tags_set(*, asset: Asset, names: list[str]) -> list[AssetTag]:
    """Replace the asset's tags with `names`, in that order; return the new rows."""
    AssetTag.objects.filter(asset=asset).delete()
    if not names:
        return []
    Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
    tags = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    return AssetTag.objects.bulk_create(
        [
            AssetTag(asset=asset, tag=tags[name], position=position)
            for position, name in enumerate(names)
        ]
    )


def asset_update_details(
    *,
    asset: Asset,
    tags: list[str] | Unset | None = UNSET,
    custom_coordinates: str | Unset = UNSET,
    custom_metadata: dict[str, Any] | Unset = UNSET,
    description: str | Unset = UNSET,
    is_published: bool | Unset = UNSET,
    remove_ai_tags: list[str] | Literal["all"] | None = None,
    hook: ChangeHook | None = None,
) -> Asset:
    """Update what the request names (UNSET: unchanged; tags None: cleared); return the asset.

    The values are clean (medialib.services.rules). `remove_ai_tags` ("all" or
    names) is applied before the `hook` (the extensions asked for) writes its rows.
    """
    with transaction.atomic():
        # Locks the asset row only (PostgreSQL refuses FOR UPDATE across the outer join).
        locked = (
            Asset.objects.select_for_update(of=("self",))
            .select_related("current_version")
            .get(pk=asset.pk)
        )
        if custom_coordinates is not UNSET:
            locked.custom_coordinates = custom_coordinates
        if custom_metadata is not UNSET:
            locked.custom_metadata = custom_metadata
        if description is not UNSET:
            locked.description = description
        if is_published is not UNSET:
            locked.is_published = is_published
        locked.save()
        if tags is not UNSET:
            asset_tags_set(asset=locked, names=tags or [])
        if remove_ai_tags:
            ai_tags_remove(asset=locked, names=remove_ai_tags)
        events.announce(FileUpdated(asset=locked))
        if hook is not None:
            hook.in_transaction(asset=locked, version=locked.current_version)
    if hook is not None:
        hook.after_commit()
    return selectors.asset_get(file_id=asset.file_id)


def asset_custom_metadata_edit(*, asset: Asset, values: dict[str, Any]) -> Asset:
    """Set the custom metadata fields `values` names (None clears one); return the asset.

    Checked as `customMetadata` on update is (a 400 naming the field, nothing saved).
    The file's other keys stay as they are: values of deleted fields, and values
    stored before any field was declared, which the check would refuse.
    """
    clean = clean_custom_metadata(values)
    with transaction.atomic():
        # Locked while merging, so that a concurrent edit of another field is kept.
        locked = Asset.objects.select_for_update(of=("self",)).get(pk=asset.pk)
        kept = {name: value for name, value in locked.custom_metadata.items() if name not in values}
        return asset_update_details(asset=locked, custom_metadata=kept | clean)


def asset_delete(*, asset: Asset) -> None:
    """Delete the asset and all its versions; their stored files go after the commit."""
    with transaction.atomic():
        assets_delete(assets=Asset.objects.filter(pk=asset.pk))
