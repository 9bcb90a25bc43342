"""What the media library announces: its domain events (see core.events).

Each is announced inside the transaction of the change, after the change's rows
are written, with the ids ImageKit's typed webhook events carry (`fileId`,
`versionId`, `folderPath`). Deletions carry ids and paths only: the rows are
gone, or going, when subscribers run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from medialib.models import Asset, AssetVersion, Folder


@dataclass(frozen=True)
class FileCreated:
    """A new file: an upload to a new path, or a copy."""

    asset: Asset
    version: AssetVersion


@dataclass(frozen=True)
class FileUpdated:
    """A file's details, path or tags changed (not its content: see FileVersionCreated)."""

    asset: Asset


@dataclass(frozen=True)
class FileDeleted:
    file_id: str
    file_path: str


@dataclass(frozen=True)
class FileVersionCreated:
    """A new current version: an overwriting upload, a restore, or an extension's result."""

    asset: Asset
    version: AssetVersion


@dataclass(frozen=True)
class FileVersionDeleted:
    file_id: str
    version_id: str


@dataclass(frozen=True)
class FolderCreated:
    folder: Folder


@dataclass(frozen=True)
class FolderUpdated:
    """A folder renamed or moved (its path changed)."""

    folder: Folder


@dataclass(frozen=True)
class FolderDeleted:
    folder_id: str
    folder_path: str


class ChangeHook(Protocol):
    """Work a higher layer attaches to one upload or details update.

    The API layer builds it from the request (e.g. the extension runs asked
    for), so the library carries the work without knowing what it is.
    """

    def in_transaction(self, *, asset: Asset, version: AssetVersion) -> None:
        """Write rows atomically with the change (called once, after the change's rows)."""

    def after_commit(self) -> None:
        """Start what reaches outside the database (called once the change is committed)."""
