import os
import threading
import uuid
from queue import Empty

import pytest
from kombu import Connection

from config.broker import Transport

MESSAGES = 3000


@pytest.mark.slow
def test_it_never_hands_a_consumer_a_half_written_message(tmp_path):
    # kombu's own transport lost about 5% of these to empty reads in this race.
    folders = {"queue": tmp_path / "q", "control": tmp_path / "c"}
    for folder in folders.values():
        folder.mkdir()
    options = {
        "data_folder_in": str(folders["queue"]),
        "data_folder_out": str(folders["queue"]),
        "control_folder": str(folders["control"]),
    }
    received: list[int] = []
    failures: list[Exception] = []
    published = threading.Event()

    def consume() -> None:
        with Connection(transport=Transport, transport_options=options) as conn:
            channel = conn.channel()
            while len(received) < MESSAGES:
                try:
                    received.append(channel._get("work")["i"])
                except Empty:
                    if published.is_set() and not any(folders["queue"].iterdir()):
                        return
                except Exception as exc:
                    failures.append(exc)
                    return

    consumer = threading.Thread(target=consume)
    consumer.start()
    with Connection(transport=Transport, transport_options=options) as conn:
        channel = conn.channel()
        for i in range(MESSAGES):
            channel._put("work", {"i": i, "body": "x" * 200})
    published.set()
    consumer.join(timeout=60)

    assert failures == []
    assert sorted(received) == list(range(MESSAGES))


@pytest.mark.skipif(
    not os.environ.get("CELERY_BROKER_URL", "").startswith("redis://"),
    reason="needs the Redis broker (CELERY_BROKER_URL=redis://...)",
)
def test_the_redis_channel_acknowledges_with_one_client_not_one_per_message():
    from config.broker import RedisTransport

    queue = f"test-broker-{uuid.uuid4().hex}"
    with Connection(os.environ["CELERY_BROKER_URL"], transport=RedisTransport) as conn:
        channel = conn.default_channel
        built = []
        make_client = channel.Client
        channel.Client = lambda **kwargs: built.append(kwargs) or make_client(**kwargs)
        simple = conn.SimpleQueue(queue, channel=channel)
        try:
            for i in range(20):
                simple.put({"i": i})
            received, tags = [], []
            for _ in range(20):
                message = simple.get(timeout=5)
                received.append(message.payload["i"])
                tags.append(message.delivery_tag)
                message.ack()
            unacked = [tag for tag in tags if channel.client.hexists(channel.unacked_key, tag)]
        finally:
            simple.queue.delete()
            simple.close()

    assert received == list(range(20))
    assert unacked == []
    assert len(built) <= 2  # the shared client, and the one that consumes (BRPOP)
