"""Two of everything: two gunicorn servers and two workers with their own var/ folders,
sharing PostgreSQL, the broker and S3 (moto's server on loopback); two beats at once must
not double any work (the rule: one beat per deployment, and every sweep is a conditional
update or an idempotent delete, so a second beat sends nothing twice)."""

from __future__ import annotations

import time
from collections import Counter

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from extensions.models import ExtensionRun, UnitLedgerEntry
from medialib.services import api_key_create
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.reliability.helpers import Client, GatedRemoveBg, png
from tests.reliability.stack import REPORT, wait_until
from webhooks.models import WebhookDelivery

BUCKET = "medialib-scale-out"
RUNS = 6


@pytest.fixture
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


def test_two_servers_two_workers_and_two_beats_share_one_library(
    stack, s3_endpoint, tmp_path
) -> None:
    removebg = GatedRemoveBg().start()
    removebg.gate.set()
    try:
        with WebhookReceiver() as receiver:
            stack.env.update(
                AWS_STORAGE_BUCKET_NAME=BUCKET,
                AWS_S3_ENDPOINT_URL=s3_endpoint,
                AWS_S3_REGION_NAME="us-east-1",
                AWS_S3_ACCESS_KEY_ID="testing",
                AWS_S3_SECRET_ACCESS_KEY="testing",
                REMOVE_BG_API_KEY=removebg.api_key,
                REMOVE_BG_API_URL=removebg.url,
            )
            one = stack.web("web-1", workers=1, VAR_DIR=str(tmp_path / "var-1"))
            two = stack.web("web-2", workers=1, VAR_DIR=str(tmp_path / "var-2"))
            stack.worker("worker-1", concurrency=4, VAR_DIR=str(tmp_path / "var-1"))
            stack.worker("worker-2", concurrency=4, VAR_DIR=str(tmp_path / "var-2"))
            stack.beat("beat-1", VAR_DIR=str(tmp_path / "var-1"))
            stack.beat("beat-2", VAR_DIR=str(tmp_path / "var-2"))  # a mistake, survived
            key = api_key_create(name="scale-out").private_key
            first, second = Client(one, key), Client(two, key)

            # Uploaded through one server: served, listed, searched, versioned through the other.
            content = png(7, (120, 80))
            body = first.upload("shared.png", content).json()
            file_id = body["fileId"]
            details = second.request("GET", f"/v1/files/{file_id}/details")
            assert details.status_code == 200 and details.json()["name"] == "shared.png"
            listed = second.request("GET", "/v1/files", params={"searchQuery": 'name="shared.png"'})
            assert [item["fileId"] for item in listed.json()] == [file_id]
            served = requests.get(body["url"].replace(one, two), timeout=30)
            assert served.status_code == 200 and served.content == content
            assert second.upload("shared.png", png(8, (120, 80))).status_code == 200
            versions = first.request("GET", f"/v1/files/{file_id}/versions").json()
            assert len(versions) == 2

            # Runs started through either server, executed by either worker exactly once.
            for index in range(RUNS):
                client = first if index % 2 else second
                response = client.upload(
                    f"run-{index}.png",
                    png(index),
                    extensions=[{"name": "remove-bg"}],
                    webhook=receiver.url("/hook"),
                )
                assert response.status_code == 200, response.text
            wait_until(
                lambda: ExtensionRun.objects.filter(status="success").count() == RUNS,
                timeout=90,
                what="every run",
            )
            wait_until(
                lambda: WebhookDelivery.objects.filter(status="delivered").count() == RUNS,
                timeout=60,
                what="every webhook",
            )
            time.sleep(4)  # two beats sweeping meanwhile: room for a duplicate
            ids = Counter(request.headers["webhook-id"] for request in receiver.requests)
    finally:
        removebg.stop()
    REPORT.faults["second beat running"] += 1
    assert removebg.calls == RUNS
    reserves = Counter(
        UnitLedgerEntry.objects.filter(reason="reserve").values_list("run_id", flat=True)
    )
    REPORT.charged_twice += sum(1 for count in reserves.values() if count > 1)
    assert sorted(reserves.values()) == [1] * RUNS
    assert len(ids) == RUNS and set(ids.values()) == {1}
    REPORT.notes.append(
        f"scale-out: 2 servers, 2 workers, 2 beats on S3: {RUNS} runs once, webhooks once"
    )
