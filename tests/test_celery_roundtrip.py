import pytest
from django_celery_results.models import TaskResult

from config.celery import app


@pytest.mark.slow
def test_it_runs_a_task_on_a_real_worker_through_the_broker(celery_worker):
    from celery.contrib.testing.tasks import ping

    result = ping.delay()

    assert result.get(timeout=20) == "pong"
    # The result came back through the database backend, not from memory.
    assert TaskResult.objects.filter(task_id=result.id, status="SUCCESS").exists()
    assert app.conf.task_always_eager is False
