"""The event seam: what medialib announces, when, and what a rolled-back change leaves."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection, transaction

from core import events
from medialib.events import (
    FileCreated,
    FileDeleted,
    FileUpdated,
    FileVersionCreated,
    FileVersionDeleted,
    FolderCreated,
    FolderDeleted,
)
from medialib.folders import folder_delete
from medialib.models import Asset, AssetVersion, Tag
from medialib.services import (
    asset_delete,
    asset_update_details,
    asset_version_delete,
    asset_version_restore,
    upload_file,
)
from tests.factories import make_image_bytes

pytestmark = pytest.mark.django_db

EVENT_TYPES = (
    FileCreated,
    FileUpdated,
    FileDeleted,
    FileVersionCreated,
    FileVersionDeleted,
    FolderCreated,
    FolderDeleted,
)


@pytest.fixture
def announced(monkeypatch) -> list[object]:
    """Every medialib event announced during the test, with whether a transaction was open."""
    seen: list[object] = []

    def record(event: object) -> None:
        assert connection.in_atomic_block, f"{type(event).__name__} announced outside a transaction"
        seen.append(event)

    for event_type in EVENT_TYPES:
        monkeypatch.setitem(events._subscribers, event_type, [record])
    return seen


def kinds(seen: list[object]) -> list[str]:
    return [type(event).__name__ for event in seen]


def upload(name: str = "a.png", folder: str = "/", **options) -> Asset:
    return upload_file(
        file=make_image_bytes(),
        file_name=name,
        folder=folder,
        use_unique_file_name=False,
        **options,
    ).asset


def test_subscribers_are_called_in_the_order_they_subscribed(monkeypatch) -> None:
    calls: list[str] = []
    monkeypatch.setitem(events._subscribers, FileDeleted, [])
    events.subscribe(FileDeleted)(lambda event: calls.append("first"))
    events.subscribe(FileDeleted)(lambda event: calls.append(f"second {event.file_id}"))

    events.announce(FileDeleted(file_id="abc", file_path="/a.png"))

    assert calls == ["first", "second abc"]


def test_an_upload_announces_its_new_folders_then_the_file(announced) -> None:
    asset = upload(folder="/products/shoes")

    assert kinds(announced) == ["FolderCreated", "FolderCreated", "FileCreated"]
    assert [event.folder.path for event in announced[:2]] == ["/products", "/products/shoes"]
    assert announced[2].asset.file_id == asset.file_id
    assert announced[2].version.version_id == asset.file_id


def test_an_overwrite_announces_a_new_version_not_a_new_file(announced) -> None:
    first = upload()
    announced.clear()

    second = upload()

    assert kinds(announced) == ["FileVersionCreated"]
    assert second.file_id == first.file_id
    assert announced[0].version.pk == second.current_version_id


def test_details_updates_restores_and_deletes_announce_with_the_ids(announced) -> None:
    upload()
    asset = upload()  # a second version, current
    first_version = AssetVersion.objects.get(asset=asset, number=1)
    announced.clear()

    asset_update_details(asset=asset, description="new")
    restored = asset_version_restore(asset=asset, version=first_version)
    asset_version_delete(asset=asset, version=first_version)
    asset_delete(asset=asset)

    assert kinds(announced) == [
        "FileUpdated",
        "FileVersionCreated",
        "FileVersionDeleted",
        "FileDeleted",
    ]
    assert announced[1].version == restored
    assert (announced[2].file_id, announced[2].version_id) == (
        asset.file_id,
        first_version.version_id,
    )
    assert (announced[3].file_id, announced[3].file_path) == (asset.file_id, "/a.png")


def test_deleting_a_folder_announces_each_folder_and_file_of_its_tree(announced) -> None:
    upload(folder="/a/b")
    announced.clear()

    folder_delete(path="/a")

    assert sorted(kinds(announced)) == ["FileDeleted", "FolderDeleted", "FolderDeleted"]
    assert {e.folder_path for e in announced if isinstance(e, FolderDeleted)} == {"/a", "/a/b"}


class FailingHook:
    """A subscriber-like hook that writes a row, then fails the change after it."""

    def __init__(self, fail: Callable[[], None]) -> None:
        self.fail = fail

    def content_ready(self, *, mime: str, read: Callable[[], bytes]) -> None:
        pass

    def in_transaction(self, *, asset: Asset, version: AssetVersion, created: bool = False) -> None:
        Tag.objects.create(name="written-by-the-hook")
        self.fail()

    def after_commit(self) -> None:
        raise AssertionError("a failed change must not reach after_commit")


def test_rows_a_subscriber_writes_roll_back_with_the_change(monkeypatch) -> None:
    def write_row(event: FileCreated) -> None:
        Tag.objects.create(name=f"subscriber-{event.asset.file_id}")

    monkeypatch.setitem(events._subscribers, FileCreated, [write_row])

    def fail() -> None:
        raise RuntimeError("the change fails after the announcement")

    with pytest.raises(RuntimeError):
        upload(hook=FailingHook(fail))

    assert not Asset.objects.exists()
    assert not Tag.objects.exists()


def test_the_hook_writes_in_the_change_and_starts_after_it() -> None:
    steps: list[str] = []

    class RecordingHook:
        def content_ready(self, *, mime: str, read: Callable[[], bytes]) -> None:
            steps.append(
                f"content ready: {mime}, {len(read())} bytes, {Asset.objects.count()} files"
            )

        def in_transaction(
            self, *, asset: Asset, version: AssetVersion, created: bool = False
        ) -> None:
            steps.append(f"in transaction: {connection.in_atomic_block}, created: {created}")

        def after_commit(self) -> None:
            steps.append("after commit")

    with transaction.atomic():
        # The test database wraps each test in a transaction; the upload's own is inside it.
        upload(hook=RecordingHook())

    assert steps == [
        f"content ready: image/png, {len(make_image_bytes())} bytes, 0 files",
        "in transaction: True, created: True",
        "after commit",
    ]
