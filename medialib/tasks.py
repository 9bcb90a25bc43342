"""Periodic housekeeping of the media library (thin: each task calls one service)."""

from __future__ import annotations

from celery import shared_task

from medialib import services
from medialib.services import folder_jobs


@shared_task(name="medialib.tasks.purge_upload_tokens")
def purge_upload_tokens() -> int:
    """Forget client-side upload tokens whose expiry has passed (safe to run twice)."""
    return services.upload_tokens_purge()


@shared_task(name="medialib.tasks.renditions_sweep")
def renditions_sweep() -> int:
    """Delete renditions of versions no longer current (safe to run twice)."""
    return services.renditions_sweep()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_folder_job(job_pk: int) -> None:
    """A folder copy, move or rename, from where it stopped; a copy delivered twice waits
    for the job's lock and finds it finished."""
    folder_jobs.folder_job_run(job_pk=job_pk)


@shared_task(ignore_result=True)
def sweep_folder_jobs() -> int:
    """Beat: send again the pending folder jobs no task is moving (broker down, worker lost)."""
    return folder_jobs.folder_jobs_sweep()


@shared_task(name="medialib.tasks.upload_post_transform")
def upload_post_transform(version_id: str) -> int:
    """Render an upload's `transformation.post` renditions (safe to run twice)."""
    return services.upload_post_transformations_render(version_id=version_id)


@shared_task(name="medialib.tasks.sweep_storage")
def sweep_storage() -> int:
    """Remove stored objects no version references, past the grace (safe to run twice)."""
    return services.storage_sweep().removed
