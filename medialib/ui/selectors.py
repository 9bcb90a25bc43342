"""Reads of the browser UI: the library listing, the folder tree, an asset's panel.

The listing pages by keyset on (created_at, id), newest first, so page 1,000 of
100,000 assets costs what page 1 costs: no OFFSET and no COUNT. Each page is a
fixed number of queries whatever its size.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from django.db.models import Q, QuerySet

from core.exceptions import BadRequest, NotFound
from extensions import registry
from extensions.models import ExtensionRun
from extensions.selectors import (
    extension_runs_of_asset,
    latest_extension_status,
    latest_extension_statuses,
)
from medialib.models import AITag, Asset, AssetTag, AssetVersion, Folder, Tag
from medialib.search import search_q
from medialib.selectors import FILE_NOT_FOUND_MESSAGE, tag_name_variants
from medialib.services import clean_folder_path

PAGE_SIZE = 40
MAX_PAGE_SIZE = 200
RECENT_RUNS_SHOWN = 20

# "query" takes the text as ImageKit's searchQuery (`tags IN ["sale"] AND size < "1mb"`).
SearchField = Literal["all", "name", "tags", "ai_tags", "query"]
SEARCH_FIELDS: tuple[SearchField, ...] = ("all", "name", "tags", "ai_tags", "query")
FILE_TYPES = ("image", "non-image")


@dataclass(frozen=True)
class LibraryFilters:
    """What the library shows. `folder` None is the root "/".

    Without a query only the folder's own files are listed; with a query the
    folder and everything below it is searched.
    """

    folder: Folder | None = None
    query: str = ""
    search_in: SearchField = "all"
    file_type: str = ""


@dataclass
class AssetCard:
    asset: Asset
    # The status of the latest run of each extension: {"google-auto-tagging": "success"}.
    statuses: dict[str, str] = field(default_factory=dict)

    @property
    def has_pending_runs(self) -> bool:
        return ExtensionRun.Status.PENDING in self.statuses.values()


@dataclass
class LibraryPage:
    cards: list[AssetCard]
    next_cursor: str | None


@dataclass
class FolderNode:
    folder: Folder
    children: list[FolderNode] = field(default_factory=list)
    is_current: bool = False
    is_open: bool = False


def encode_cursor(*, created_at: datetime, pk: int) -> str:
    raw = f"{created_at.isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Return (created_at, id) of the last asset shown; BadRequest if the cursor is garbled."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at, pk = base64.urlsafe_b64decode(padded).decode().split("|")
        return datetime.fromisoformat(created_at), int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise BadRequest("The page cursor is not valid; start again from the first page.") from None


def folder_by_path(*, path: str) -> Folder | None:
    """The folder at `path` ("/a/b"); None for the root; NotFound if there is none.

    BadRequest for a path the API's folder rule refuses ("..", backslashes).
    """
    folder_path = clean_folder_path(path)
    if folder_path == "/":
        return None
    folder = Folder.objects.filter(path=folder_path).first()
    if folder is None:
        raise NotFound(f"There is no folder {folder_path}.", reason="FOLDER_NOT_FOUND")
    return folder


def _search_condition(*, query: str, search_in: SearchField) -> Q:
    """The condition of a search; BadRequest naming the problem for a bad searchQuery."""
    if search_in == "query":
        return search_q(query)
    # File names match any part; tags and AI tags match whole names, in the
    # letter cases people and providers write them.
    conditions = Q()
    names = tag_name_variants(query)
    if search_in in ("all", "name"):
        conditions |= Q(name__icontains=query)
    if search_in in ("all", "tags"):
        # The tag ids are looked up first: given them as constants, the planner
        # sees how few assets carry the tag instead of probing asset by asset.
        tag_ids = list(Tag.objects.filter(name__in=names).values_list("id", flat=True))
        conditions |= Q(id__in=AssetTag.objects.filter(tag_id__in=tag_ids).values("asset_id"))
    if search_in in ("all", "ai_tags"):
        conditions |= Q(id__in=AITag.objects.filter(name__in=names).values("asset_id"))
    return conditions


def library_assets(*, filters: LibraryFilters) -> QuerySet[Asset]:
    """Assets matching `filters`, newest first, unpaged; BadRequest for a bad searchQuery."""
    assets = Asset.objects.all()
    if filters.query:
        if filters.folder is not None:
            assets = assets.filter(file_path__startswith=f"{filters.folder.path}/")
        assets = assets.filter(_search_condition(query=filters.query, search_in=filters.search_in))
    elif filters.folder is None:
        assets = assets.filter(folder__isnull=True)
    else:
        assets = assets.filter(folder=filters.folder)
    if filters.file_type:
        assets = assets.filter(file_type=filters.file_type)
    return assets.order_by("-created_at", "-id")


def library_page(
    *, filters: LibraryFilters, cursor: str | None = None, limit: int = PAGE_SIZE
) -> LibraryPage:
    """One page of the library after `cursor` (from the previous page's `next_cursor`)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    assets = library_assets(filters=filters)
    if cursor:
        created_at, pk = decode_cursor(cursor)
        assets = assets.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=pk))
    # One row more than shown says whether there is a next page, without a COUNT.
    rows = list(assets.select_related("current_version")[: limit + 1])
    shown = rows[:limit]
    statuses = latest_extension_statuses(asset_ids=[asset.pk for asset in shown])
    next_cursor = (
        encode_cursor(created_at=shown[-1].created_at, pk=shown[-1].pk)
        if len(rows) > limit
        else None
    )
    return LibraryPage(
        cards=[AssetCard(asset=asset, statuses=statuses.get(asset.pk, {})) for asset in shown],
        next_cursor=next_cursor,
    )


def asset_card(*, asset: Asset) -> AssetCard:
    return AssetCard(asset=asset, statuses=latest_extension_status(asset=asset))


def folder_tree(*, current: Folder | None) -> list[FolderNode]:
    """The top-level folders, with the branch leading to `current` opened.

    Only the folders on that branch are expanded, so the tree costs one query
    and stays small however many folders the library has.
    """
    open_paths = _ancestor_paths(current.path) if current else []
    open_ids = list(Folder.objects.filter(path__in=open_paths).values_list("id", flat=True))
    folders = Folder.objects.filter(Q(parent__isnull=True) | Q(parent_id__in=open_ids)).order_by(
        "name"
    )
    nodes = {folder.pk: FolderNode(folder=folder) for folder in folders}
    roots: list[FolderNode] = []
    for node in nodes.values():
        folder = node.folder
        node.is_open = folder.pk in open_ids
        node.is_current = current is not None and folder.pk == current.pk
        parent = nodes.get(folder.parent_id) if folder.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots


def breadcrumbs(*, folder: Folder | None) -> list[Folder]:
    """The folders from the top down to `folder` (empty for the root)."""
    if folder is None:
        return []
    by_path = {f.path: f for f in Folder.objects.filter(path__in=_ancestor_paths(folder.path))}
    return [by_path[path] for path in _ancestor_paths(folder.path) if path in by_path]


def _ancestor_paths(path: str) -> list[str]:
    """The paths of a folder and its ancestors: "/a/b" -> ["/a", "/a/b"]."""
    parts = [part for part in path.split("/") if part]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


@dataclass
class VersionRow:
    version: AssetVersion
    is_current: bool
    # For a version made by background removal, the version it was made from.
    before: AssetVersion | None = None


@dataclass
class AssetRuns:
    asset: Asset
    # The latest runs, newest first.
    runs: list[ExtensionRun]

    @property
    def has_pending_runs(self) -> bool:
        return any(run.status == ExtensionRun.Status.PENDING for run in self.runs)


@dataclass
class AssetPanel(AssetRuns):
    tags: list[str] = field(default_factory=list)
    ai_tags: list[AITag] = field(default_factory=list)
    versions: list[VersionRow] = field(default_factory=list)


def asset_for_display(*, file_id: str) -> Asset:
    """The asset with its current version and folder, for a card or the panel; NotFound if none.

    Lighter than medialib.selectors.asset_get: a card polled every few seconds needs no tags.
    """
    asset = (
        Asset.objects.select_related("current_version", "folder").filter(file_id=file_id).first()
    )
    if asset is None:
        raise NotFound(FILE_NOT_FOUND_MESSAGE)
    return asset


def asset_runs(*, file_id: str) -> AssetRuns:
    """The latest extension runs of a file (what the panel polls); NotFound if none."""
    asset = asset_for_display(file_id=file_id)
    return AssetRuns(asset=asset, runs=_recent_runs(asset))


def asset_panel(*, file_id: str) -> AssetPanel:
    """Everything the asset panel shows; NotFound if there is no such file."""
    asset = asset_for_display(file_id=file_id)
    versions = list(asset.versions.order_by("-number"))
    by_number = {version.number: version for version in versions}
    rows = [
        VersionRow(
            version=version,
            is_current=version.pk == asset.current_version_id,
            before=by_number.get(version.number - 1) if _is_background_removal(version) else None,
        )
        for version in versions
    ]
    return AssetPanel(
        asset=asset,
        tags=[asset_tag.tag.name for asset_tag in asset.asset_tags.select_related("tag")],
        ai_tags=list(asset.ai_tags.order_by("-confidence", "name")),
        runs=_recent_runs(asset),
        versions=rows,
    )


def asset_version(*, file_id: str, version_id: str) -> AssetVersion:
    version = (
        AssetVersion.objects.filter(asset__file_id=file_id, version_id=version_id)
        .only("storage_key", "mime")
        .first()
    )
    if version is None:
        raise NotFound("The requested file version does not exist.")
    return version


def _recent_runs(asset: Asset) -> list[ExtensionRun]:
    return list(extension_runs_of_asset(asset=asset)[:RECENT_RUNS_SHOWN])


def _is_background_removal(version: AssetVersion) -> bool:
    # A background removal's result replaces the version that was current when the
    # run started, which is the one numbered just before it.
    if version.origin != AssetVersion.Origin.EXTENSION:
        return False
    extension = registry.extension_get(version.origin_detail)
    return extension is not None and extension.kind == registry.REMOVE_BG
