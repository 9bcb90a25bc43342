"""The domain events webhooks listen to; connected in WebhooksConfig.ready().

Extension results go to the run's webhookUrl; the media library's events go to
the account webhooks subscribed to them (`/v1/accounts/webhooks`), in the
envelope `{"id", "type", "created_at", "data"}` that the SDK's
`client.webhooks.unwrap` turns into its typed events. Each runs inside the
announcing transaction, so the outbox rows commit or roll back with the change.
"""

from __future__ import annotations

from core.events import subscribe
from extensions.events import ExtensionRunFinished
from medialib.events import (
    FileCreated,
    FileDeleted,
    FileUpdated,
    FileVersionCreated,
    FileVersionDeleted,
    FolderCreated,
    FolderDeleted,
    FolderUpdated,
)
from medialib.models import Asset
from medialib.wire import file_details, folder_object
from webhooks import services


def connect() -> None:
    subscribe(ExtensionRunFinished)(_deliver_extension_result)
    subscribe(FileCreated)(_file_created)
    subscribe(FileUpdated)(_file_updated)
    subscribe(FileDeleted)(_file_deleted)
    subscribe(FileVersionCreated)(_file_version_created)
    subscribe(FileVersionDeleted)(_file_version_deleted)
    subscribe(FolderCreated)(_folder_created)
    subscribe(FolderUpdated)(_folder_updated)
    subscribe(FolderDeleted)(_folder_deleted)


def _deliver_extension_result(event: ExtensionRunFinished) -> None:
    services.extension_result_delivery_create(run=event.run)


def _file_created(event: FileCreated) -> None:
    _file_event("file.created", event.asset)


def _file_updated(event: FileUpdated) -> None:
    _file_event("file.updated", event.asset)


def _file_version_created(event: FileVersionCreated) -> None:
    _file_event("file-version.created", event.asset)


def _file_event(event_type: str, asset: Asset) -> None:
    # The file object is built only when some endpoint listens.
    if not services.account_event_subscribed(event_type):
        return
    services.account_event_deliveries_create(
        event=event_type, data=file_details(asset=asset), subject=asset.file_id
    )


def _file_deleted(event: FileDeleted) -> None:
    services.account_event_deliveries_create(
        event="file.deleted", data={"fileId": event.file_id}, subject=event.file_id
    )


def _file_version_deleted(event: FileVersionDeleted) -> None:
    services.account_event_deliveries_create(
        event="file-version.deleted",
        data={"fileId": event.file_id, "versionId": event.version_id},
        subject=event.file_id,
    )


def _folder_created(event: FolderCreated) -> None:
    _folder_event("folder.created", event)


def _folder_updated(event: FolderUpdated) -> None:
    _folder_event("folder.updated", event)


def _folder_event(event_type: str, event: FolderCreated | FolderUpdated) -> None:
    services.account_event_deliveries_create(
        event=event_type, data=folder_object(event.folder), subject=event.folder.folder_id
    )


def _folder_deleted(event: FolderDeleted) -> None:
    services.account_event_deliveries_create(
        event="folder.deleted", data={"folderId": event.folder_id}, subject=event.folder_id
    )
