import pytest
from django.core.files.storage import default_storage

from config import health


@pytest.mark.django_db
def test_it_reports_every_service_up(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "storage"}
    assert all(check["status"] == "ok" for check in body["checks"].values())


@pytest.mark.django_db
def test_it_leaves_no_probe_file_in_storage(client):
    client.get("/healthz")

    _dirs, files = default_storage.listdir("healthz")
    assert files == []


@pytest.mark.django_db
def test_it_names_what_is_down_with_503(client, settings):
    # A broker on a port nothing listens on: the check must fail, not hang.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT = None

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["broker"]
    assert body["checks"]["broker"]["status"] == "down"
    assert body["checks"]["database"]["status"] == "ok"


def test_it_refuses_post(rf):
    response = health.healthz(rf.post("/healthz"))

    assert response.status_code == 405
