"""Folder copy, move and rename through the SDK: a job id at once, a real worker runs
the job, `client.folders.job.get` reports it; an interrupted job resumes and finishes once."""

from __future__ import annotations

import threading

import pytest
from celery.signals import task_failure
from imagekitio import BadRequestError, ConflictError, ImageKit, NotFoundError

from core import events
from medialib.events import FileCreated, FileUpdated, FolderCreated, FolderDeleted, FolderUpdated
from medialib.models import Asset, Folder, FolderJob
from medialib.services import api_key_create, folder_jobs
from tests.factories import make_image_bytes
from tests.fakes.loopback import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def client(live_server, celery_worker) -> ImageKit:
    issued = api_key_create(name="sdk folder jobs")
    return ImageKit(
        private_key=issued.private_key,
        base_url=live_server.url,
        max_retries=0,
        _strict_response_validation=True,
    )


@pytest.fixture
def announced(monkeypatch) -> list[object]:
    """The folder and file events announced (by the worker too), in order."""
    seen: list[object] = []
    for kind in (FileCreated, FileUpdated, FolderCreated, FolderUpdated, FolderDeleted):
        monkeypatch.setitem(events._subscribers, kind, [*events._subscribers[kind], seen.append])
    return seen


def upload(client: ImageKit, name: str, folder: str, color: str = "red"):
    return client.files.upload(
        file=make_image_bytes((8, 8), color),
        file_name=name,
        folder=folder,
        use_unique_file_name=False,
    )


def completed(client: ImageKit, job_id: str) -> bool:
    return wait_for(lambda: client.folders.job.get(job_id).status == "Completed")


def of(announced: list[object], kind: type) -> list[object]:
    return [event for event in announced if isinstance(event, kind)]


def test_copy_folder_copies_the_tree_with_its_versions(client: ImageKit, announced):
    a = upload(client, "a.png", "/src")
    upload(client, "a.png", "/src", color="blue")  # a second version
    b = upload(client, "b.png", "/src/sub")
    client.folders.create(folder_name="empty", parent_folder_path="/src")
    announced.clear()

    job = client.folders.copy(
        source_folder_path="/src", destination_path="/dst", include_versions=True
    )
    assert completed(client, job.job_id)
    got = client.folders.job.get(job.job_id)
    assert (got.job_id, got.type, got.status) == (job.job_id, "COPY_FOLDER", "Completed")

    assert Folder.objects.filter(path__startswith="/dst/src").count() == 3
    copy_a = Asset.objects.get(file_path="/dst/src/a.png")
    assert copy_a.file_id not in (a.file_id, b.file_id)
    assert copy_a.versions.count() == 2
    assert Asset.objects.filter(file_path="/src/sub/b.png", file_id=b.file_id).exists()
    assert sorted(e.folder.path for e in of(announced, FolderCreated)) == [
        "/dst",
        "/dst/src",
        "/dst/src/empty",
        "/dst/src/sub",
    ]
    assert sorted(e.asset.file_path for e in of(announced, FileCreated)) == [
        "/dst/src/a.png",
        "/dst/src/sub/b.png",
    ]


def test_move_folder_keeps_file_ids_and_deletes_the_source(client: ImageKit, announced):
    a = upload(client, "a.png", "/src")
    b = upload(client, "b.png", "/src/sub")
    client.folders.create(folder_name="dst", parent_folder_path="/")
    announced.clear()

    job = client.folders.move(source_folder_path="/src", destination_path="/dst")
    assert completed(client, job.job_id)
    assert client.folders.job.get(job.job_id).type == "MOVE_FOLDER"

    assert client.files.get(a.file_id).file_path == "/dst/src/a.png"
    assert client.files.get(b.file_id).file_path == "/dst/src/sub/b.png"
    assert not Folder.objects.filter(path__startswith="/src").exists()
    assert sorted(e.folder_path for e in of(announced, FolderDeleted)) == ["/src", "/src/sub"]
    assert sorted(e.folder.path for e in of(announced, FolderCreated)) == [
        "/dst/src",
        "/dst/src/sub",
    ]
    assert sorted(e.asset.file_id for e in of(announced, FileUpdated)) == sorted(
        [a.file_id, b.file_id]
    )


def test_rename_folder_keeps_the_folders_and_purges_on_request(client: ImageKit, announced):
    a = upload(client, "a.png", "/old/sub")
    upload(client, "x.png", "/taken")
    ids = dict(Folder.objects.values_list("path", "folder_id"))
    announced.clear()

    job = client.folders.rename(folder_path="/old", new_folder_name="new name", purge_cache=True)
    assert completed(client, job.job_id)
    got = client.folders.job.get(job.job_id)
    assert got.type == "RENAME_FOLDER"
    assert client.cache.invalidation.get(got.purge_request_id).status == "Completed"

    assert client.files.get(a.file_id).file_path == "/new_name/sub/a.png"
    assert Folder.objects.get(path="/new_name").folder_id == ids["/old"]
    assert Folder.objects.get(path="/new_name/sub").folder_id == ids["/old/sub"]
    assert Folder.objects.get(path="/new_name").name == "new_name"
    assert [e.folder.path for e in of(announced, FolderUpdated)] == ["/new_name", "/new_name/sub"]
    assert [e.asset.file_path for e in of(announced, FileUpdated)] == ["/new_name/sub/a.png"]

    with pytest.raises(ConflictError):
        client.folders.rename(folder_path="/new_name", new_folder_name="taken")
    with pytest.raises(NotFoundError):
        client.folders.rename(folder_path="/old", new_folder_name="again")
    with pytest.raises(NotFoundError):
        client.folders.copy(source_folder_path="/nowhere", destination_path="/")
    with pytest.raises(BadRequestError, match="inside"):
        client.folders.move(source_folder_path="/new_name", destination_path="/new_name/sub")
    with pytest.raises(NotFoundError):
        client.folders.job.get("000000000000000000000000")


def test_an_interrupted_job_resumes_where_it_stopped_and_copies_each_file_once(
    client: ImageKit, announced, monkeypatch, settings
):
    settings.FOLDER_JOBS_BATCH = 1
    names = [f"f{i}.png" for i in range(5)]
    for name in names:
        upload(client, name, "/big")
    announced.clear()
    real_copy = folder_jobs.asset_copy
    calls: list[str] = []

    def crashing_on_the_third_file(**kwargs):
        calls.append(kwargs["source_file_path"])
        if len(calls) == 3:
            raise RuntimeError("worker lost")
        return real_copy(**kwargs)

    failed = threading.Event()

    def on_failure(sender=None, **kwargs):
        failed.set()

    task_failure.connect(on_failure, weak=False)
    monkeypatch.setattr(folder_jobs, "asset_copy", crashing_on_the_third_file)
    try:
        job_id = client.folders.copy(source_folder_path="/big", destination_path="/to").job_id
        assert wait_for(failed.is_set)
    finally:
        task_failure.disconnect(on_failure)
    job = FolderJob.objects.get(job_id=job_id)
    assert (job.status, job.files_done) == ("Pending", 2)
    assert client.folders.job.get(job_id).status == "Pending"
    assert Asset.objects.filter(file_path__startswith="/to/big/").count() == 2

    monkeypatch.setattr(folder_jobs, "asset_copy", real_copy)
    settings.FOLDER_JOBS_SWEEP_AFTER = 0
    assert folder_jobs.folder_jobs_sweep() == 1
    assert completed(client, job_id)

    copies = Asset.objects.filter(file_path__startswith="/to/big/")
    assert sorted(copies.values_list("name", flat=True)) == names
    assert all(copy.versions.count() == 1 for copy in copies)
    assert sorted(e.asset.name for e in of(announced, FileCreated)) == names
    # Delivered again once finished: nothing more happens.
    folder_jobs.folder_job_run(job_pk=job.pk)
    assert folder_jobs.folder_jobs_sweep() == 0
    assert copies.count() == 5
    assert len(of(announced, FileCreated)) == 5
