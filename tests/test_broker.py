import threading
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
