"""The webhooks admin: the delivery log with its attempts, redelivery, the secret."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from tests.factories import UserFactory
from webhooks.models import DeliveryAttempt, WebhookDelivery, WebhookSecret
from webhooks.services import webhook_secret_current

pytestmark = pytest.mark.django_db

DELIVERIES = "/admin/webhooks/webhookdelivery/"
SECRETS = "/admin/webhooks/webhooksecret/"


def staff_client(*codenames: str) -> Client:
    user = UserFactory(username="viewer", is_staff=True)
    for codename in codenames:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="webhooks", codename=codename)
        )
    client = Client()
    client.force_login(user)
    return client


def delivery(status: str = WebhookDelivery.Status.FAILED, **fields) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        url=fields.pop("url", "https://hooks.example.com/imagekit"),
        event=fields.pop("event", "extension.success"),
        payload=fields.pop("payload", {"service": "remove-bg", "status": "SUCCESS"}),
        subject=fields.pop("subject", "0123456789abcdef01234567"),
        status=status,
        **fields,
    )


def listed(response) -> list[WebhookDelivery]:
    return list(response.context["cl"].result_list)


def test_it_filters_deliveries_by_status_and_event(admin_client):
    failed = delivery(WebhookDelivery.Status.FAILED, event="extension.failure")
    delivered = delivery(WebhookDelivery.Status.DELIVERED)

    assert listed(admin_client.get(DELIVERIES, {"status__exact": "failed"})) == [failed]
    assert listed(admin_client.get(DELIVERIES, {"event": "extension.success"})) == [delivered]


@pytest.mark.parametrize("field", ["message_id", "subject", "url"])
def test_it_finds_a_delivery_by_message_id_subject_or_url(admin_client, field):
    wanted = delivery(url="https://wanted.example.com/hook", subject="aaaaaaaaaaaaaaaaaaaaaaaa")
    delivery(url="https://other.example.com/hook", subject="bbbbbbbbbbbbbbbbbbbbbbbb")
    term = {"message_id": wanted.message_id, "subject": wanted.subject, "url": "wanted"}[field]

    assert listed(admin_client.get(DELIVERIES, {"q": term})) == [wanted]


def test_it_shows_the_payload_and_the_attempts_read_only(admin_client):
    shown = delivery(payload={"service": "remove-bg", "fileObject": {"name": "<b>x</b>"}})
    DeliveryAttempt.objects.create(
        delivery=shown,
        attempted_at=shown.created_at,
        duration_ms=1234,
        status_code=502,
        response_body="bad gateway from upstream",
    )

    response = admin_client.get(f"{DELIVERIES}{shown.pk}/change/")

    html = response.content.decode()
    assert response.status_code == 200
    pretty_and_escaped = (
        "&quot;fileObject&quot;: {\n    &quot;name&quot;: &quot;&lt;b&gt;x&lt;/b&gt;"
    )
    assert pretty_and_escaped in html
    assert "bad gateway from upstream" in html
    assert "1234" in html
    assert 'name="_save"' not in html
    assert admin_client.post(f"{DELIVERIES}{shown.pk}/delete/").status_code == 403


def test_it_redelivers_the_chosen_deliveries_now(admin_client):
    chosen = delivery(WebhookDelivery.Status.FAILED)
    left = delivery(WebhookDelivery.Status.FAILED)

    response = admin_client.post(
        DELIVERIES, {"action": "redeliver_now", "_selected_action": [chosen.pk]}, follow=True
    )

    assert response.status_code == 200
    chosen.refresh_from_db()
    left.refresh_from_db()
    assert chosen.status == WebhookDelivery.Status.PENDING
    assert chosen.next_attempt_at is not None
    assert left.status == WebhookDelivery.Status.FAILED
    assert "1 deliveries will be attempted now" in response.content.decode()


def test_it_offers_redelivery_only_with_its_permission(db):
    viewer = staff_client("view_webhookdelivery")
    failed = delivery(WebhookDelivery.Status.FAILED)

    page = viewer.get(DELIVERIES)
    viewer.post(DELIVERIES, {"action": "redeliver_now", "_selected_action": [failed.pk]})

    assert page.status_code == 200
    assert "redeliver_now" not in page.content.decode()
    failed.refresh_from_db()
    assert failed.status == WebhookDelivery.Status.FAILED

    allowed = staff_client("view_webhookdelivery", "redeliver_webhookdelivery")
    assert "redeliver_now" in allowed.get(DELIVERIES).content.decode()


def test_it_shows_the_current_secret_making_one_on_first_visit(admin_client):
    response = admin_client.get(SECRETS)

    assert WebhookSecret.objects.count() == 1
    html = response.content.decode()
    assert webhook_secret_current() in html
    assert f'href="{SECRETS}rotate/"' in html


def test_it_rotates_the_secret_after_confirmation(admin_client):
    old = webhook_secret_current()

    confirmation = admin_client.get(f"{SECRETS}rotate/")
    assert confirmation.status_code == 200
    assert webhook_secret_current() == old

    response = admin_client.post(f"{SECRETS}rotate/", follow=True)

    new = webhook_secret_current()
    assert new != old
    html = response.content.decode()
    assert new in html
    assert old not in html
    assert old[:10] in html  # still signing during the grace period, masked


def test_it_lets_only_those_allowed_rotate_the_secret(db):
    viewer = staff_client("view_webhooksecret")
    old = webhook_secret_current()

    page = viewer.get(SECRETS).content.decode()
    assert "rotate/" not in page
    # The secret itself is shown only to those who may manage it.
    assert old not in page
    assert old[:10] in page
    assert viewer.post(f"{SECRETS}rotate/").status_code == 403
    assert webhook_secret_current() == old
