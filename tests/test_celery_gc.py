import gc

from celery.signals import worker_process_init, worker_ready


def test_a_ready_worker_or_a_new_pool_process_freezes_its_start_up_heap():
    for signal in (worker_ready, worker_process_init):
        gc.unfreeze()
        try:
            signal.send(sender=None)
            assert gc.get_freeze_count() > 0
        finally:
            gc.unfreeze()
