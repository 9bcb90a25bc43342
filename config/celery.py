import gc
import os

from celery import Celery
from celery.signals import (
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_init,
    worker_ready,
)

from config.startup import settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Before Celery's Django fix-up reads them, so a bad setting is one line, not a traceback.
settings_or_exit()

app = Celery("medialib")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(sender=None, **kwargs) -> None:
    """A task boundary is a request boundary: Django's own rule for its connections.

    Celery's Django fix-up would close every connection around every task (a new
    PostgreSQL connection per task) unless CELERY_DB_REUSE_MAX is set, which the
    settings do; connections then live for CONN_MAX_AGE, and one that broke (a
    database restart) is dropped here, as Django drops it between requests.
    Eager tasks run inside their caller's transaction and are left alone.
    """
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


@worker_init.connect
def _providers_warm_up(**kwargs) -> None:
    """Import the configured providers' client libraries before the first task arrives."""
    from extensions.registry import providers_warm_up

    providers_warm_up()


@worker_ready.connect
@worker_process_init.connect
def _gc_freeze(**kwargs) -> None:
    """Leave the start-up heap (Django, Celery, the client libraries) out of collections.

    Every full collection otherwise walks its 150,000-200,000 objects (about 80 ms of
    CPU in a worker on a busy machine), several times per thousand runs. Called in a
    thread pool's process once it is ready, and in each prefork child after the fork.
    """
    gc.freeze()
