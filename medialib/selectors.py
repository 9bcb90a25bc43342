"""Reads of the media library: assets by fileId or path, loaded for the wire format."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from core.exceptions import NotFound
from medialib.models import Asset, AssetTag

FILE_NOT_FOUND_MESSAGE = "The requested file does not exist."


def assets_for_listing(queryset: QuerySet[Asset]) -> QuerySet[Asset]:
    """`queryset` loading folder, current version, tags and AI tags in a fixed number of queries.

    Use it for every query whose assets go through `wire.file_details`.
    """
    return queryset.select_related("current_version", "folder").prefetch_related(
        Prefetch("asset_tags", queryset=AssetTag.objects.select_related("tag")),
        "ai_tags",
    )


def asset_get(*, file_id: str) -> Asset:
    """The asset with this fileId, ready for `wire.file_details`; NotFound otherwise."""
    # PostgreSQL refuses NUL in text parameters; no real fileId has control characters.
    if not file_id.isprintable():
        raise NotFound(FILE_NOT_FOUND_MESSAGE)
    asset = assets_for_listing(Asset.objects.filter(file_id=file_id)).first()
    if asset is None or asset.current_version is None:
        raise NotFound(FILE_NOT_FOUND_MESSAGE)
    return asset


def asset_for_path(*, file_path: str) -> Asset | None:
    """The file at `file_path`, or None (a path that could not be stored matches nothing)."""
    if "\x00" in file_path or len(file_path) > Asset._meta.get_field("file_path").max_length:
        return None
    return Asset.objects.select_related("current_version").filter(file_path=file_path).first()


def tag_name_variants(text: str) -> list[str]:
    """The spellings a tag or AI tag name is looked up in: as typed, lower, Capitalised,
    Title and UPPER case.

    Tags are written as people and providers write them ("red", "Red", "Ping-Pong
    Ball"); looking these spellings up uses the B-tree indexes on the names, where a
    case-insensitive comparison would scan every tag.
    """
    return list(dict.fromkeys([text, text.lower(), text.capitalize(), text.title(), text.upper()]))
