"""Reads behind GET /v1/files and the versions endpoints: list, search, file versions.

A listing runs a fixed number of queries whatever its page size: each kind of
result (folders, files, file versions) is one query for its page (plus the
prefetches of tags and AI tags), and a count only where `skip` must pass over it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.db.models import F, Prefetch, Q, QuerySet
from django.http import HttpRequest

from core.exceptions import NotFound
from medialib import search
from medialib.models import Asset, AssetTag, AssetVersion, Folder
from medialib.selectors import file_page
from medialib.wire import file_objects, folder_object, version_details

ListType = Literal["file", "file-version", "folder", "all"]
FileTypeFilter = Literal["all", "image", "non-image"]

SORT_KEYS = ("NAME", "CREATED", "UPDATED", "HEIGHT", "WIDTH", "SIZE")
SORTS = tuple(f"{direction}_{key}" for key in SORT_KEYS for direction in ("ASC", "DESC"))
VERSION_NOT_FOUND_MESSAGE = "The requested file version does not exist."

# The column each sort key orders by, per kind; folders have no dimensions or size.
_SORT_COLUMNS: dict[str, dict[str, str]] = {
    "file": {
        "NAME": "name",
        "CREATED": "created_at",
        "UPDATED": "updated_at",
        "HEIGHT": "current_version__height",
        "WIDTH": "current_version__width",
        "SIZE": "current_version__size",
    },
    "file-version": {
        "NAME": "asset__name",
        "CREATED": "created_at",
        "UPDATED": "created_at",
        "HEIGHT": "height",
        "WIDTH": "width",
        "SIZE": "size",
    },
    "folder": {
        "NAME": "name",
        "CREATED": "created_at",
        "UPDATED": "updated_at",
        "HEIGHT": "name",
        "WIDTH": "name",
        "SIZE": "name",
    },
}


@dataclass(frozen=True)
class ListQuery:
    """Validated parameters of GET /v1/files (see medialib.api.list_views)."""

    type: ListType = "file"
    sort: str = "ASC_CREATED"
    path: str | None = None  # a normalised folder path: that folder only
    file_type: FileTypeFilter = "all"
    tags: tuple[str, ...] = ()
    name: str = ""
    search_query: search.Node | None = None
    skip: int = 0
    limit: int = 1000


def _order(kind: str, sort: str) -> list[Any]:
    direction, key = sort.split("_", 1)
    column = F(_SORT_COLUMNS[kind][key])
    if key in ("HEIGHT", "WIDTH"):
        # Non-images have no dimensions: first when ascending on every database
        # (SQLite and PostgreSQL disagree by default).
        ordered = (
            column.desc(nulls_last=True) if direction == "DESC" else column.asc(nulls_first=True)
        )
    else:
        # Never NULL: no NULLS clause, which would keep PostgreSQL off the index.
        ordered = column.desc() if direction == "DESC" else column.asc()
    # The primary key breaks ties, so pages do not overlap or skip rows.
    return [ordered, "-pk" if direction == "DESC" else "pk"]


def _in_folder(kind: str, path: str) -> Q:
    column = {"file": "folder", "file-version": "asset__folder", "folder": "parent"}[kind]
    if path == "/":
        return Q(**{f"{column}__isnull": True})
    return Q(**{f"{column}__path": path})


def _kinds(query: ListQuery) -> list[str]:
    if query.search_query is not None:
        kinds = search.kinds_searched(query.search_query)
    elif query.type == "all":
        kinds = ["file", "folder"]
    else:
        kinds = [query.type]
    # Folders come first, as in ImageKit's listings.
    return sorted(kinds, key=["folder", "file", "file-version"].index)


def _filter(kind: str, query: ListQuery) -> Q:
    condition = Q()
    if query.path is not None:
        condition &= _in_folder(kind, query.path)
    if kind != "folder" and query.file_type != "all":
        column = "file_type" if kind == "file" else "asset__file_type"
        condition &= Q(**{column: query.file_type})
    if query.search_query is not None:
        return condition & search.compile_query(query.search_query, kind=kind)  # type: ignore[arg-type]
    if query.name:
        condition &= Q(name=query.name) if kind != "file-version" else Q(asset__name=query.name)
    if query.tags and kind != "folder":
        condition &= search.any_tag_q(list(query.tags), kind=kind)
    return condition


def _queryset(kind: str, query: ListQuery) -> QuerySet:
    condition = _filter(kind, query)
    order = _order(kind, query.sort)
    if kind == "folder":
        return Folder.objects.filter(condition).order_by(*order)
    if kind == "file":
        return Asset.objects.filter(condition, current_version__isnull=False).order_by(*order)
    return versions_for_listing(
        AssetVersion.objects.filter(condition).exclude(pk=F("asset__current_version"))
    ).order_by(*order)


def versions_for_listing(queryset: QuerySet[AssetVersion]) -> QuerySet[AssetVersion]:
    """`queryset` loading each version's asset with its tags and AI tags (fixed queries)."""
    return queryset.select_related(
        "asset", "asset__folder", "asset__current_version"
    ).prefetch_related(
        Prefetch("asset__asset_tags", queryset=AssetTag.objects.select_related("tag")),
        "asset__ai_tags",
    )


def _objects(kind: str, page: QuerySet, request: HttpRequest | None) -> list[dict[str, Any]]:
    """The objects of one page (a sliced queryset) of one kind."""
    if kind == "folder":
        return [folder_object(folder) for folder in page]
    if kind == "file":
        return file_objects(file_page(page), request=request)
    return [version_details(version=version, request=request) for version in page]


def library_list(*, query: ListQuery, request: HttpRequest | None = None) -> list[dict[str, Any]]:
    """GET /v1/files: one page of folders, files and/or file versions, in that order."""
    results: list[dict[str, Any]] = []
    skip, remaining = query.skip, query.limit
    kinds = _kinds(query)
    for index, kind in enumerate(kinds):
        if remaining <= 0:
            break
        queryset = _queryset(kind, query)
        if skip and index < len(kinds) - 1:
            # Pass over a whole earlier kind without loading it.
            count = queryset.count()
            if skip >= count:
                skip -= count
                continue
        objects = _objects(kind, queryset[skip : skip + remaining], request)
        skip = 0
        remaining -= len(objects)
        results += objects
    return results


# --- versions of one file -------------------------------------------------------


def asset_versions(*, asset: Asset) -> list[AssetVersion]:
    """All versions of a file, oldest first, each with its asset loaded."""
    versions = versions_for_listing(asset.versions.all()).order_by("number")
    return list(versions)


def asset_version_get(*, asset: Asset, version_id: str) -> AssetVersion:
    if not version_id.isprintable():
        # No id has control characters, and PostgreSQL refuses NUL in a query.
        raise NotFound(VERSION_NOT_FOUND_MESSAGE)
    version = versions_for_listing(asset.versions.filter(version_id=version_id)).first()
    if version is None:
        raise NotFound(VERSION_NOT_FOUND_MESSAGE)
    return version
