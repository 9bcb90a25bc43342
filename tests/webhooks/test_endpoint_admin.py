"""Account event webhooks in the admin: created with the API's rules, secret generated."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import UserFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import account_event_deliveries_create

pytestmark = pytest.mark.django_db

ENDPOINTS = "/admin/webhooks/webhookendpoint/"


@pytest.fixture
def admin_client_() -> Client:
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_the_admin_creates_an_endpoint_with_a_generated_secret(admin_client_, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    response = admin_client_.post(
        ENDPOINTS + "add/",
        {
            "url": "http://127.0.0.1:9/hook",
            "events": ["file.created", "folder.deleted"],
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["file.created", "folder.deleted"]
    assert endpoint.secret.startswith("whsec_")

    duplicate = admin_client_.post(
        ENDPOINTS + "add/", {"url": "http://127.0.0.1:9/hook", "events": ["file.created"]}
    )
    assert duplicate.status_code == 200
    assert WebhookEndpoint.objects.count() == 1


def test_the_admin_refuses_a_private_address_when_the_guard_is_on(admin_client_, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    response = admin_client_.post(
        ENDPOINTS + "add/", {"url": "http://10.0.0.1/hook", "events": ["file.created"]}
    )
    assert response.status_code == 200
    assert not WebhookEndpoint.objects.exists()


def test_deleting_an_endpoint_fails_its_pending_deliveries(admin_client_):
    endpoint = WebhookEndpoint.objects.create(url="https://a.example.com/", events=["file.deleted"])
    [delivery] = account_event_deliveries_create(event="file.deleted", data={"fileId": "x"})
    response = admin_client_.post(ENDPOINTS + f"{endpoint.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert not WebhookEndpoint.objects.exists()
