"""Writes on paths: folders (create, delete) and files (copy, move, rename).

The paths and names are clean (medialib.services.rules: clean_folder_path,
clean_file_path, clean_file_name), so a request never lands somewhere else than it says.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q

from core import events
from core.exceptions import BadRequest, Conflict, NotFound
from medialib.events import (
    FileUpdated,
    FolderDeleted,
)
from medialib.models import Asset, AssetTag, AssetVersion, Folder
from medialib.services import (
    ai_tags_copy,
    asset_versions_append,
    assets_delete,
    folder_ensure,
    join_file_path,
    removing_written_on_error,
)

FOLDER_NOT_FOUND = "FOLDER_NOT_FOUND"
FILE_ALREADY_EXISTS = "FILE_ALREADY_EXISTS"


# --- folders -------------------------------------------------------------------


def folder_create(*, path: str) -> Folder:
    """POST /v1/folder: the folder at `path` with its missing parents; idempotent."""
    with transaction.atomic():
        folder = folder_ensure(path=path)
    assert folder is not None  # the path ends with the new folder's name, so is not the root
    return folder


def folder_get(*, path: str) -> Folder:
    folder = Folder.objects.filter(path=path).first()
    if folder is None:
        raise NotFound("No folder found with folderPath " + path, reason=FOLDER_NOT_FOUND)
    return folder


def folder_delete(*, path: str) -> int:
    """DELETE /v1/folder: the folder, its subfolders and their files; return files deleted.

    Stored objects are deleted after the commit.
    """
    if path == "/":
        raise BadRequest("The root folder cannot be deleted.")
    try:
        with transaction.atomic():
            folder = folder_get(path=path)
            in_tree = Q(path=folder.path) | Q(path__startswith=folder.path + "/")
            assets = Asset.objects.filter(folder__in=Folder.objects.filter(in_tree))
            deleted = assets_delete(assets=assets)
            folders = list(Folder.objects.filter(in_tree).values_list("folder_id", "path"))
            # After the assets, which PROTECT their folder; subfolders cascade.
            Folder.objects.filter(in_tree).delete()
            for folder_id, folder_path in folders:
                events.announce(FolderDeleted(folder_id=folder_id, folder_path=folder_path))
    except ProtectedError:
        # A file arrived in the tree meanwhile; nothing was deleted. 409 is what the
        # SDKs retry, and a retry deletes the newcomer too.
        raise Conflict("Files were added to the folder while it was being deleted.") from None
    return deleted


# --- files: copy, move, rename -----------------------------------------------------


@dataclass(frozen=True)
class _Destination:
    folder_path: str
    file_path: str


def _source_asset(file_path: str, *, lock: bool = False) -> Asset:
    queryset = Asset.objects.select_related("current_version", "folder")
    if lock:
        # of=self: PostgreSQL cannot lock the nullable side of the folder join.
        queryset = queryset.select_for_update(of=("self",))
    asset = queryset.filter(file_path=file_path, current_version__isnull=False).first()
    if asset is None:
        raise NotFound(f"No file found with filePath {file_path}", reason="NO_FILES_FOUND")
    return asset


def _destination(asset: Asset, folder_path: str) -> _Destination:
    file_path = join_file_path(folder_path, asset.name)
    if file_path == asset.file_path:
        raise BadRequest("sourceFilePath and destinationPath name the same file.")
    return _Destination(folder_path=folder_path, file_path=file_path)


def _versions_to_copy(asset: Asset, include_versions: bool) -> list[AssetVersion]:
    if not include_versions:
        return [asset.current_version]
    # Older versions first, the current one last, so it stays the newest.
    versions = [v for v in asset.versions.order_by("number") if v.pk != asset.current_version_id]
    return [*versions, asset.current_version]


def _new_asset_from(
    *, source: Asset, destination: _Destination, versions: list[AssetVersion], written: list[str]
) -> Asset:
    folder = folder_ensure(path=destination.folder_path)
    # Its file type comes with its versions, from asset_versions_append.
    copy = Asset.objects.create(
        folder=folder,
        name=source.name,
        file_path=destination.file_path,
        is_private=source.is_private,
        is_published=source.is_published,
        description=source.description,
        custom_coordinates=source.custom_coordinates,
        custom_metadata=source.custom_metadata,
    )
    AssetTag.objects.bulk_create(
        AssetTag(asset=copy, tag_id=asset_tag.tag_id, position=asset_tag.position)
        for asset_tag in source.asset_tags.all()
    )
    ai_tags_copy(source=source, to_asset=copy)
    asset_versions_append(
        asset=copy, versions=versions, origin=AssetVersion.Origin.COPY, written=written
    )
    return copy


@contextmanager
def _path_taken_meanwhile() -> Iterator[None]:
    """A concurrent request took the destination path first: 409, which SDKs retry;
    the retry then finds the file there and appends to it."""
    try:
        yield
    except IntegrityError:
        raise Conflict(
            "A file was created at the destination meanwhile.", reason=FILE_ALREADY_EXISTS
        ) from None


def asset_copy(
    *, source_file_path: str, destination_path: str, include_file_versions: bool = False
) -> Asset:
    """POST /v1/files/copy: the file at the destination folder, as a new file (new fileId).

    When a file of that name is already there, the copied version(s) are appended to
    its history instead and it becomes current, as ImageKit does. Returns the asset
    holding the copy.
    """
    with _path_taken_meanwhile(), removing_written_on_error() as written, transaction.atomic():
        source = _source_asset(source_file_path)
        destination = _destination(source, destination_path)
        versions = _versions_to_copy(source, include_file_versions)
        existing = Asset.objects.filter(file_path=destination.file_path).first()
        if existing is not None:
            asset_versions_append(
                versions=versions,
                asset=existing,
                origin=AssetVersion.Origin.COPY,
                written=written,
            )
            return existing
        return _new_asset_from(
            source=source, destination=destination, versions=versions, written=written
        )


def asset_move(*, source_file_path: str, destination_path: str) -> Asset:
    """POST /v1/files/move: the same file (same fileId) in another folder.

    When a file of that name is already there, the source's versions are appended to
    its history and the source is deleted, as ImageKit does.
    """
    with _path_taken_meanwhile(), removing_written_on_error() as written, transaction.atomic():
        source = _source_asset(source_file_path, lock=True)
        destination = _destination(source, destination_path)
        existing = Asset.objects.filter(file_path=destination.file_path).first()
        if existing is not None:
            asset_versions_append(
                versions=_versions_to_copy(source, include_versions=True),
                asset=existing,
                origin=AssetVersion.Origin.COPY,
                written=written,
            )
            assets_delete(assets=Asset.objects.filter(pk=source.pk))
            return existing
        source.folder = folder_ensure(path=destination.folder_path)
        source.file_path = destination.file_path
        source.save(update_fields=["folder", "file_path", "updated_at"])
        events.announce(FileUpdated(asset=source))
        return source


def asset_rename(*, file_path: str, new_file_name: str) -> Asset:
    """PUT /v1/files/rename: 409 FILE_ALREADY_EXISTS when the new path is taken."""
    conflict = Conflict(
        "A file with this name already exists in the folder.", reason=FILE_ALREADY_EXISTS
    )
    try:
        with transaction.atomic():
            asset = _source_asset(file_path, lock=True)
            new_path = join_file_path(file_path.rsplit("/", 1)[0] or "/", new_file_name)
            if new_path == asset.file_path:
                return asset
            if Asset.objects.filter(file_path=new_path).exists():
                raise conflict
            asset.name = new_file_name
            asset.file_path = new_path
            asset.save(update_fields=["name", "file_path", "updated_at"])
            events.announce(FileUpdated(asset=asset))
            return asset
    except IntegrityError:
        # Taken by a concurrent request between our check and our write.
        raise conflict from None
