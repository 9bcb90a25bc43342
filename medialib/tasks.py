"""Periodic housekeeping of the media library (thin: each task calls one service)."""

from __future__ import annotations

from celery import shared_task

from medialib import services


@shared_task(name="medialib.tasks.purge_upload_tokens")
def purge_upload_tokens() -> int:
    """Forget client-side upload tokens whose expiry has passed (safe to run twice)."""
    return services.upload_tokens_purge()


@shared_task(name="medialib.tasks.renditions_sweep")
def renditions_sweep() -> int:
    """Delete renditions of versions no longer current (safe to run twice)."""
    return services.renditions_sweep()


@shared_task(name="medialib.tasks.upload_post_transform")
def upload_post_transform(version_id: str) -> int:
    """Render an upload's `transformation.post` renditions (safe to run twice)."""
    return services.upload_post_transformations_render(version_id=version_id)
