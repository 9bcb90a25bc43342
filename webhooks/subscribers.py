"""The domain events webhooks listen to; connected in WebhooksConfig.ready().

Extension results go to the run's webhookUrl; the media library's events go to
the account webhooks subscribed to them (`/v1/accounts/webhooks`), in the
envelope `{"id", "type", "created_at", "data"}` (and `request` for the upload
transformation events) that the SDK's `client.webhooks.unwrap` turns into its
typed events. Each runs inside the
announcing transaction, so the outbox rows commit or roll back with the change.
"""

from __future__ import annotations

import uuid

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
    UploadPostTransformFailed,
    UploadPostTransformSucceeded,
    UploadPreTransformFailed,
    UploadPreTransformSucceeded,
)
from medialib.models import Asset
from medialib.wire import (
    UPLOAD_RESPONSE_OPTIONAL_FIELDS,
    file_details,
    folder_object,
    post_transformation_url,
    upload_response,
)
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
    subscribe(UploadPreTransformSucceeded)(_upload_pre_transform_succeeded)
    subscribe(UploadPreTransformFailed)(_upload_pre_transform_failed)
    subscribe(UploadPostTransformSucceeded)(_upload_post_transform_succeeded)
    subscribe(UploadPostTransformFailed)(_upload_post_transform_failed)


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


# --- upload transformations: the envelope carries `request` as well as `data` -----------


def _request_id(event_request_id: str) -> str:
    # The upload's `x-ik-requestId`; an item recorded before ids were kept gets a new one.
    return event_request_id or str(uuid.uuid4())


def _upload_pre_transform_succeeded(event: UploadPreTransformSucceeded) -> None:
    event_type = "upload.pre-transform.success"
    if not services.account_event_subscribed(event_type):
        return
    # The upload response, with every field a receiver could have asked for.
    data = upload_response(asset=event.asset, response_fields=UPLOAD_RESPONSE_OPTIONAL_FIELDS)
    services.account_event_deliveries_create(
        event=event_type,
        data=data,
        subject=event.asset.file_id,
        request={
            "transformation": event.transformation,
            "x_request_id": _request_id(event.request_id),
        },
    )


def _upload_pre_transform_failed(event: UploadPreTransformFailed) -> None:
    services.account_event_deliveries_create(
        event="upload.pre-transform.error",
        data={
            "name": event.file_name,
            "path": event.file_path,
            "transformation": {"error": {"reason": event.reason}},
        },
        subject=event.file_path,
        request={
            "transformation": event.transformation,
            "x_request_id": _request_id(event.request_id),
        },
    )


def _post_request(event: UploadPostTransformSucceeded | UploadPostTransformFailed) -> dict:
    transformation = {"type": event.transformation_type}
    if event.value:
        transformation["value"] = event.value
    return {"transformation": transformation, "x_request_id": _request_id(event.request_id)}


def _upload_post_transform_succeeded(event: UploadPostTransformSucceeded) -> None:
    asset = event.asset
    services.account_event_deliveries_create(
        event="upload.post-transform.success",
        data={
            "fileId": asset.file_id,
            "name": asset.name,
            "url": post_transformation_url(
                asset=asset, transformation_type=event.transformation_type, value=event.value
            ),
        },
        subject=asset.file_id,
        request=_post_request(event),
    )


def _upload_post_transform_failed(event: UploadPostTransformFailed) -> None:
    asset = event.asset
    services.account_event_deliveries_create(
        event="upload.post-transform.error",
        data={
            "fileId": asset.file_id,
            "name": asset.name,
            "path": asset.file_path,
            "transformation": {"error": {"reason": event.reason}},
            "url": post_transformation_url(
                asset=asset, transformation_type=event.transformation_type, value=event.value
            ),
        },
        subject=asset.file_id,
        request=_post_request(event),
    )
