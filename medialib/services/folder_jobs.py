"""Folder jobs: copy, move and rename of a whole folder tree, run in steps on a worker.

A job runs in phases (folders, files in batches, cleanup), each step in one transaction
with the job row locked and its progress (`phase`, `cursor`) saved with the rows the step
changed. So a worker that dies mid-job leaves the job at its last committed step, the
next run (a redelivered task, or the sweep's) goes on from there, and a task delivered
twice finds the job locked or finished and does nothing twice.

Files are copied and moved by medialib.folders (asset_copy, asset_move), which announce
FileCreated / FileUpdated; folders made on the way announce FolderCreated (folder_ensure),
a rename announces FolderUpdated per folder, a move FolderDeleted per folder it empties.

Not exported from medialib.services: it builds on medialib.folders, which imports that
package; import it as `from medialib.services import folder_jobs`.
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from core import events
from core.exceptions import ApplicationError, BadRequest, Conflict, NotFound
from medialib.events import FileUpdated, FolderDeleted, FolderUpdated
from medialib.folders import FOLDER_NOT_FOUND, asset_copy, asset_move
from medialib.models import Asset, Folder, FolderJob
from medialib.services.assets import folder_ensure
from medialib.services.rules import MAX_NAME_LENGTH, clean_folder_path, join_file_path

logger = logging.getLogger(__name__)

FOLDER_ALREADY_EXISTS = "FOLDER_ALREADY_EXISTS"


# --- starting a job -------------------------------------------------------------------


def _parent_path(path: str) -> str:
    return path.rsplit("/", 1)[0] or "/"


def _base_name(path: str) -> str:
    return path.rsplit("/", 1)[1]


def _in_tree(path: str, prefix: str = "") -> Q:
    return Q(**{f"{prefix}path": path}) | Q(**{f"{prefix}path__startswith": path + "/"})


def _existing_source(path: str, *, field: str) -> str:
    if path == "/":
        raise BadRequest(f"{field} cannot be the root folder.")
    if not Folder.objects.filter(path=path).exists():
        raise NotFound("No folder found with folderPath " + path, reason=FOLDER_NOT_FOUND)
    return path


def _into(source_path: str, destination_path: str) -> str:
    """The new root of `source_path` placed into the folder `destination_path`."""
    if destination_path == source_path or destination_path.startswith(source_path + "/"):
        raise BadRequest("destinationPath cannot be the source folder or inside it.")
    if destination_path == _parent_path(source_path):
        raise BadRequest("The folder is already in destinationPath.")
    # The whole new path must be a valid one (depth, length).
    return clean_folder_path(
        join_file_path(destination_path, _base_name(source_path)), field="destinationPath"
    )


def _start(**fields: object) -> FolderJob:
    with transaction.atomic():
        job = FolderJob.objects.create(**fields)
        transaction.on_commit(lambda: _dispatch(job_pk=job.pk))
    return job


def folder_copy_start(
    *, source_folder_path: str, destination_path: str, include_versions: bool = False
) -> FolderJob:
    """POST /v1/bulkJobs/copyFolder: the source folder, with its tree, into the destination.

    Paths are clean (rules.clean_folder_path). Files get new fileIds; a file already at
    its destination path gets the copied version(s) appended, as a single copy does.
    """
    source = _existing_source(source_folder_path, field="sourceFolderPath")
    return _start(
        type=FolderJob.Type.COPY_FOLDER,
        source_path=source,
        destination_path=_into(source, destination_path),
        include_versions=include_versions,
    )


def folder_move_start(*, source_folder_path: str, destination_path: str) -> FolderJob:
    """POST /v1/bulkJobs/moveFolder: the source folder, with its tree, into the destination.

    Files keep their fileIds; the source folders are deleted once emptied.
    """
    source = _existing_source(source_folder_path, field="sourceFolderPath")
    return _start(
        type=FolderJob.Type.MOVE_FOLDER,
        source_path=source,
        destination_path=_into(source, destination_path),
    )


def clean_new_folder_name(value: str) -> str:
    """ImageKit's rule: characters other than letters, digits and "-" become "_"."""
    name = re.sub(r"[^\w-]", "_", value.strip())
    if not name or len(name) > MAX_NAME_LENGTH:
        raise BadRequest(f"newFolderName must have 1 to {MAX_NAME_LENGTH} characters.")
    return name


def folder_rename_start(
    *, folder_path: str, new_folder_name: str, purge_cache: bool = False
) -> FolderJob:
    """POST /v1/bulkJobs/renameFolder: the folder keeps its folderId and its tree.

    409 FOLDER_ALREADY_EXISTS when a folder of the new name is already there. There is
    no CDN cache to purge: `purgeCache` gives a purge request, complete at once.
    """
    source = _existing_source(folder_path, field="folderPath")
    destination = join_file_path(_parent_path(source), clean_new_folder_name(new_folder_name))
    if destination == source:
        raise BadRequest("newFolderName is the folder's name already.")
    if Folder.objects.filter(path=destination).exists():
        raise Conflict("A folder with this name already exists.", reason=FOLDER_ALREADY_EXISTS)
    return _start(
        type=FolderJob.Type.RENAME_FOLDER,
        source_path=source,
        destination_path=destination,
        purge_request_id=secrets.token_hex(12) if purge_cache else "",
    )


def folder_job_get(*, job_id: str) -> FolderJob:
    job = FolderJob.objects.filter(job_id=job_id).first()
    if job is None:
        raise NotFound("No bulk job found with jobId " + job_id)
    return job


# --- running a job --------------------------------------------------------------------


def folder_job_run(*, job_pk: int) -> FolderJob | None:
    """Run a job to its end from where it stopped (the task's service; safe to run twice)."""
    while True:
        with transaction.atomic():
            job = FolderJob.objects.select_for_update().filter(pk=job_pk).first()
            if job is None or job.status == FolderJob.Status.COMPLETED:
                return job
            _step(job)
            job.save()


def _step(job: FolderJob) -> None:
    """One step of `job` (locked), which it leaves advanced; the caller saves it."""
    if job.phase == FolderJob.Phase.FOLDERS:
        _folders_step(job)
    elif job.phase == FolderJob.Phase.FILES:
        _files_step(job)
    elif job.phase == FolderJob.Phase.CLEANUP:
        _cleanup_step(job)
    else:
        job.status = FolderJob.Status.COMPLETED
        job.finished_at = timezone.now()


def _map(job: FolderJob, path: str) -> str:
    """`path`, in the source tree, as it is in the destination tree."""
    return job.destination_path + path[len(job.source_path) :]


def _folders_step(job: FolderJob) -> None:
    job.phase = FolderJob.Phase.FILES
    job.cursor = 0
    if job.type == FolderJob.Type.RENAME_FOLDER:
        _rename_folders(job)
        return
    if not Folder.objects.filter(path=job.source_path).exists():
        _give_up(job, "The source folder was deleted before the job ran.")
        return
    for path in Folder.objects.filter(_in_tree(job.source_path)).values_list("path", flat=True):
        folder_ensure(path=_map(job, path))  # announces FolderCreated for each new one


def _rename_folders(job: FolderJob) -> None:
    if Folder.objects.filter(path=job.destination_path).exists():
        _give_up(job, "A folder with the new name was created before the job ran.")
        return
    tree = list(Folder.objects.filter(_in_tree(job.source_path)).order_by("path"))
    if not tree:
        _give_up(job, "The folder was deleted before the job ran.")
        return
    for folder in tree:  # parents first: a new path is never taken by the tree itself
        folder.path = _map(job, folder.path)
        if folder.path == job.destination_path:
            folder.name = _base_name(folder.path)
        folder.save(update_fields=["path", "name", "updated_at"])
        events.announce(FolderUpdated(folder=folder))


def _give_up(job: FolderJob, message: str) -> None:
    job.errors = [*job.errors, {"message": message}]
    job.phase = FolderJob.Phase.DONE


def _files_of(job: FolderJob) -> QuerySet[Asset]:
    # A rename has moved the folders already; copies and moves read the source tree.
    root = job.destination_path if job.type == FolderJob.Type.RENAME_FOLDER else job.source_path
    return (
        Asset.objects.filter(
            folder__in=Folder.objects.filter(_in_tree(root)),
            current_version__isnull=False,
            pk__gt=job.cursor,
        )
        .select_related("folder")
        .order_by("pk")
    )


def _files_step(job: FolderJob) -> None:
    batch = list(_files_of(job)[: settings.FOLDER_JOBS_BATCH])
    for asset in batch:
        try:
            _file_step(job, asset)
        except ApplicationError as error:  # gone meanwhile, or its destination was taken
            job.errors = [*job.errors, {"filePath": asset.file_path, "message": str(error)}]
        job.cursor = asset.pk
        job.files_done += 1
    if len(batch) < settings.FOLDER_JOBS_BATCH:
        job.phase = (
            FolderJob.Phase.CLEANUP
            if job.type == FolderJob.Type.MOVE_FOLDER
            else FolderJob.Phase.DONE
        )


def _file_step(job: FolderJob, asset: Asset) -> None:
    if job.type == FolderJob.Type.COPY_FOLDER:
        asset_copy(
            source_file_path=asset.file_path,
            destination_path=_map(job, asset.folder.path),
            include_file_versions=job.include_versions,
        )
    elif job.type == FolderJob.Type.MOVE_FOLDER:
        asset_move(source_file_path=asset.file_path, destination_path=_map(job, asset.folder.path))
    else:
        new_path = join_file_path(asset.folder.path, asset.name)
        if new_path != asset.file_path:
            asset.file_path = new_path
            asset.save(update_fields=["file_path", "updated_at"])
            events.announce(FileUpdated(asset=asset))


def _cleanup_step(job: FolderJob) -> None:
    """A move deletes the source folders it emptied, the deepest first."""
    tree = Folder.objects.filter(_in_tree(job.source_path))
    for folder in sorted(tree, key=lambda f: f.path.count("/"), reverse=True):
        if folder.assets.exists() or folder.children.exists():
            continue  # a file that could not be moved, or one added meanwhile
        folder_id, folder_path = folder.folder_id, folder.path
        folder.delete()
        events.announce(FolderDeleted(folder_id=folder_id, folder_path=folder_path))
    job.phase = FolderJob.Phase.DONE


# --- sending the task -----------------------------------------------------------------


def _dispatch(*, job_pk: int) -> None:
    """Send the job's task; a broker that is down only delays it until the sweep."""
    # Imported here: the task module imports the services.
    from medialib.tasks import run_folder_job

    try:
        run_folder_job.delay(job_pk)
    except (BrokerError, OSError):
        logger.warning("Could not queue folder job %s; the sweep will send it", job_pk)


def folder_jobs_sweep() -> int:
    """Send again the pending jobs idle for FOLDER_JOBS_SWEEP_AFTER (task lost, worker dead).

    Each one sent is touched first, conditionally, so two sweeps send it once.
    """
    now = timezone.now()
    idle = now - timedelta(seconds=settings.FOLDER_JOBS_SWEEP_AFTER)
    sent = 0
    for pk, updated_at in FolderJob.objects.filter(
        status=FolderJob.Status.PENDING, updated_at__lte=idle
    ).values_list("pk", "updated_at")[: settings.FOLDER_JOBS_SWEEP_BATCH]:
        if FolderJob.objects.filter(
            pk=pk, status=FolderJob.Status.PENDING, updated_at=updated_at
        ).update(updated_at=now):
            _dispatch(job_pk=pk)
            sent += 1
    return sent
