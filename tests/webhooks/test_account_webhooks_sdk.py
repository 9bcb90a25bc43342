"""Account event webhooks through the SDK: endpoints managed with `client.accounts.webhooks`,
events delivered by a real worker to a loopback receiver, and read back with
`client.webhooks.unwrap`, which checks the signature with each endpoint's own secret
and returns the SDK's typed events.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from imagekitio import BadRequestError, ImageKit, NotFoundError
from imagekitio.types import (
    FileCreateEvent,
    FileDeleteEvent,
    FileUpdateEvent,
    FileVersionCreateEvent,
    FileVersionDeleteEvent,
    FolderCreateEvent,
    FolderDeleteEvent,
    FolderUpdateEvent,
)

from core import events
from medialib.events import FolderUpdated
from medialib.models import Folder
from medialib.services import api_key_create, folder_ensure
from tests.factories import make_image_bytes
from tests.fakes.loopback import wait_for
from webhooks.models import WebhookDelivery

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def client(live_server, celery_worker) -> ImageKit:
    issued = api_key_create(name="sdk webhooks")
    return ImageKit(
        private_key=issued.private_key,
        base_url=live_server.url,
        max_retries=0,
        _strict_response_validation=True,
    )


def test_the_sdk_manages_account_webhooks(client: ImageKit, receiver):
    created = client.accounts.webhooks.create(
        endpoint=receiver.url("/a"), events=["file.created", "file.deleted"]
    )
    assert created.secret.startswith("whsec_")
    assert (created.enabled, created.events) == (True, ["file.created", "file.deleted"])
    assert client.accounts.webhooks.get(created.id).endpoint == receiver.url("/a")

    updated = client.accounts.webhooks.update(created.id, enabled=False, events=["file.updated"])
    assert (updated.enabled, updated.events, updated.secret) == (
        False,
        ["file.updated"],
        created.secret,
    )
    assert [hook.id for hook in client.accounts.webhooks.list()] == [created.id]

    with pytest.raises(BadRequestError, match="already exists"):
        client.accounts.webhooks.create(endpoint=receiver.url("/a"), events=["file.created"])
    with pytest.raises(BadRequestError, match="unknown event type"):
        client.accounts.webhooks.create(endpoint=receiver.url("/b"), events=["file.exploded"])
    with pytest.raises(BadRequestError, match="endpoint"):
        client.accounts.webhooks.create(endpoint="ftp://example.com/x", events=["file.created"])

    client.accounts.webhooks.delete(created.id)
    with pytest.raises(NotFoundError):
        client.accounts.webhooks.get(created.id)


def test_every_library_event_reaches_its_endpoint_signed_with_its_secret(
    client: ImageKit, receiver
):
    all_events = client.accounts.webhooks.create(
        endpoint=receiver.url("/all"),
        events=[
            "file.created",
            "file.updated",
            "file.deleted",
            "file-version.created",
            "file-version.deleted",
            "folder.created",
            "folder.updated",
            "folder.deleted",
        ],
    )
    only_deletes = client.accounts.webhooks.create(
        endpoint=receiver.url("/deletes"), events=["file.deleted"]
    )
    client.accounts.webhooks.create(
        endpoint=receiver.url("/off"), events=["file.created"], enabled=False
    )

    uploaded = client.files.upload(
        file=make_image_bytes((8, 8), "red"),
        file_name="a.png",
        folder="/shoes",
        use_unique_file_name=False,
    )
    client.files.update(uploaded.file_id, tags=["red"])
    client.files.upload(
        file=make_image_bytes((9, 9), "blue"),
        file_name="a.png",
        folder="/shoes",
        use_unique_file_name=False,
    )
    first_version = client.files.versions.list(uploaded.file_id)[0].version_info.id
    client.files.versions.delete(first_version, file_id=uploaded.file_id)
    with transaction.atomic():
        events.announce(FolderUpdated(folder=Folder.objects.get(path="/shoes")))
    client.files.delete(uploaded.file_id)
    client.folders.delete(folder_path="/shoes")

    expected = 9  # 8 to /all (the upload made /shoes), 1 to /deletes, none to /off
    assert wait_for(lambda: len(receiver.requests) >= expected, timeout=30)
    assert wait_for(
        lambda: not WebhookDelivery.objects.filter(status="pending").exists(), timeout=30
    )
    by_path: dict[str, list] = {"/all": [], "/deletes": []}
    for request in receiver.requests:
        secret = all_events.secret if request.path == "/all" else only_deletes.secret
        by_path[request.path].append(
            client.webhooks.unwrap(request.body.decode(), headers=request.headers, key=secret)
        )
    kinds = [type(event) for event in by_path["/all"]]
    assert sorted(kind.__name__ for kind in kinds) == sorted(
        kind.__name__
        for kind in (
            FolderCreateEvent,
            FileCreateEvent,
            FileUpdateEvent,
            FileVersionCreateEvent,
            FileVersionDeleteEvent,
            FolderUpdateEvent,
            FileDeleteEvent,
            FolderDeleteEvent,
        )
    )
    got = {type(event): event for event in by_path["/all"]}
    assert got[FileCreateEvent].data.file_id == uploaded.file_id
    assert got[FileUpdateEvent].data.tags == ["red"]
    assert got[FileVersionCreateEvent].data.version_info.name == "Version 2"
    assert got[FileVersionDeleteEvent].data.version_id == first_version
    assert got[FileDeleteEvent].data.file_id == uploaded.file_id
    assert got[FolderCreateEvent].data.folder_path == "/shoes"
    assert got[FolderUpdateEvent].data.folder_path == "/shoes"
    assert got[FolderDeleteEvent].data.folder_id == got[FolderCreateEvent].data.folder_id
    assert [type(event) for event in by_path["/deletes"]] == [FileDeleteEvent]
    # A signature made with another endpoint's secret does not pass.
    with pytest.raises(Exception, match="signature"):
        request = next(r for r in receiver.requests if r.path == "/deletes")
        client.webhooks.unwrap(
            request.body.decode(), headers=request.headers, key=all_events.secret
        )


def test_a_rolled_back_change_sends_nothing(client: ImageKit, receiver):
    client.accounts.webhooks.create(endpoint=receiver.url("/f"), events=["folder.created"])

    with pytest.raises(RuntimeError), transaction.atomic():
        folder_ensure(path="/gone")
        assert WebhookDelivery.objects.count() == 1
        raise RuntimeError

    assert WebhookDelivery.objects.count() == 0
