"""What the media library announces: its domain events (see core.events).

Each is announced inside the transaction of the change, after the change's rows
are written, with the ids ImageKit's typed webhook events carry (`fileId`,
`versionId`, `folderPath`). Deletions carry ids and paths only: the rows are
gone, or going, when subscribers run.
"""

from __future__ import annotations

from collections.abc import Callable
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


@dataclass(frozen=True)
class UploadPreTransformSucceeded:
    """An upload's `transformation.pre` was applied: `version` holds the transformed bytes.

    Announced in the upload's transaction, after FileCreated / FileVersionCreated
    (ImageKit's `upload.pre-transform.success`).
    """

    asset: Asset
    version: AssetVersion
    transformation: str
    # The `x-ik-requestId` of the upload request (a generated id outside a request).
    request_id: str = ""


@dataclass(frozen=True)
class UploadPreTransformFailed:
    """An upload's `transformation.pre` could not be applied: nothing was stored.

    Announced in a transaction of its own before the upload answers 400
    (ImageKit's `upload.pre-transform.error`).
    """

    file_name: str
    file_path: str
    transformation: str
    reason: str
    request_id: str = ""


@dataclass(frozen=True)
class UploadPostTransformSucceeded:
    """A `transformation.post` rendition of an upload is ready (on a worker).

    `transformation_type` is "transformation" or "thumbnail"; `value` the string
    asked for ("" for the default thumbnail). ImageKit's `upload.post-transform.success`.
    """

    asset: Asset
    version: AssetVersion
    transformation_type: str
    value: str
    # The upload request's id, kept with the pending item for the worker.
    request_id: str = ""


@dataclass(frozen=True)
class UploadPostTransformFailed:
    """A `transformation.post` rendition could not be made (`upload.post-transform.error`)."""

    asset: Asset
    version: AssetVersion
    transformation_type: str
    value: str
    reason: str
    request_id: str = ""


class ChangeHook(Protocol):
    """Work a higher layer attaches to one upload or details update.

    The API layer builds it from the request (e.g. the extension runs asked
    for), so the library carries the work without knowing what it is.
    """

    def content_ready(self, *, mime: str, read: Callable[[], bytes]) -> None:
        """Start work on an upload's validated bytes before they are stored (called once,
        by uploads only). `read()` returns them; call it before returning, if at all."""

    def in_transaction(self, *, asset: Asset, version: AssetVersion, created: bool = False) -> None:
        """Write rows atomically with the change (called once, after the change's rows).

        `created`: the change created the asset (an upload of a new file), so no other
        transaction can see its row yet."""

    def after_commit(self) -> None:
        """Start what reaches outside the database (called once the change is committed).

        Of the file itself it may change the AI tags only, before it returns (a result
        that changes more reaches the file later, on a worker).
        """
