"""Celery tasks of the extensions app: thin, by id, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from extensions import services


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_extension(run_id: int) -> None:
    """One attempt of a run; queued on its provider's queue by the run service.

    A copy delivered twice, or after another attempt took the run, claims nothing and
    does nothing; retries are new messages the service sends with a countdown.
    """
    services.extension_run_execute(run_id=run_id)


@shared_task(ignore_result=True)
def sweep_pending_runs() -> int:
    """Beat: send again the pending runs no live task holds (broker down, worker lost)."""
    return services.runs_sweep()
