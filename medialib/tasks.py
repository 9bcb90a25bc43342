"""Periodic housekeeping of the media library (thin: each task calls one service)."""

from __future__ import annotations

from celery import shared_task

from medialib import services


@shared_task(name="medialib.tasks.purge_upload_tokens")
def purge_upload_tokens() -> int:
    """Forget client-side upload tokens whose expiry has passed (safe to run twice)."""
    return services.upload_tokens_purge()


@shared_task(name="medialib.tasks.sweep_storage")
def sweep_storage() -> int:
    """Remove stored objects no version references, past the grace (safe to run twice)."""
    return services.storage_sweep().removed
