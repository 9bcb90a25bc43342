"""Bulk writes over several files: add/remove tags, remove AI tags, delete.

The fileIds and tag names are clean (medialib.services.rules). Each is all-or-nothing:
every fileId must exist (otherwise a 404 naming the `missingFileIds`, as ImageKit, and
nothing is changed) and the whole change is one transaction. Repeating a call gives the
same state, so the SDK's retries are safe.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core import events
from core.exceptions import NotFound
from medialib.events import FileUpdated
from medialib.models import Asset, AssetTag, Tag
from medialib.services import ai_tags_remove, assets_delete


def _assets_for_update(file_ids: list[str]) -> list[Asset]:
    """The assets, locked, in the order of `file_ids`; NotFound naming the missing ones."""
    assets = {
        asset.file_id: asset
        for asset in Asset.objects.select_for_update().filter(file_id__in=file_ids)
    }
    missing = [file_id for file_id in file_ids if file_id not in assets]
    if missing:
        raise NotFound("The requested file(s) does not exist.", missingFileIds=missing)
    return [assets[file_id] for file_id in file_ids]


def _touch(assets: list[Asset]) -> None:
    Asset.objects.filter(pk__in=[asset.pk for asset in assets]).update(updated_at=timezone.now())


def _bulk_update(file_ids: list[str], change: Callable[[list[Asset]], None]) -> list[str]:
    with transaction.atomic():
        assets = _assets_for_update(file_ids)
        change(assets)
        _touch(assets)
        for asset in assets:
            events.announce(FileUpdated(asset=asset))
    return file_ids


def assets_tags_add(*, file_ids: list[str], tags: list[str]) -> list[str]:
    """Append `tags` to each file (tags it already has stay where they are)."""

    def add(assets: list[Asset]) -> None:
        Tag.objects.bulk_create([Tag(name=name) for name in tags], ignore_conflicts=True)
        tag_ids = dict(Tag.objects.filter(name__in=tags).values_list("name", "pk"))
        last_positions = dict(
            AssetTag.objects.filter(asset__in=assets)
            .values("asset")
            .annotate(last=Max("position"))
            .values_list("asset", "last")
        )
        AssetTag.objects.bulk_create(
            [
                AssetTag(asset=asset, tag_id=tag_ids[name], position=position)
                for asset in assets
                for position, name in enumerate(tags, start=last_positions.get(asset.pk, -1) + 1)
            ],
            ignore_conflicts=True,
        )

    return _bulk_update(file_ids, add)


def assets_tags_remove(*, file_ids: list[str], tags: list[str]) -> list[str]:
    def remove(assets: list[Asset]) -> None:
        AssetTag.objects.filter(asset__in=assets, tag__name__in=tags).delete()

    return _bulk_update(file_ids, remove)


def assets_ai_tags_remove(*, file_ids: list[str], ai_tags: list[str]) -> list[str]:
    def remove(assets: list[Asset]) -> None:
        for asset in assets:
            ai_tags_remove(asset=asset, names=ai_tags)

    return _bulk_update(file_ids, remove)


def assets_delete_by_ids(*, file_ids: list[str]) -> list[str]:
    """Delete the files and all their versions; stored objects go after the commit."""
    with transaction.atomic():
        assets = _assets_for_update(file_ids)
        assets_delete(assets=Asset.objects.filter(pk__in=[asset.pk for asset in assets]))
    return file_ids
