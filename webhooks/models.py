from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q


def generate_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def generate_message_id() -> str:
    return "msg_" + secrets.token_hex(16)


class WebhookSecret(models.Model):
    """The account's signing secret; the newest row is the current one."""

    secret = models.CharField(max_length=128, unique=True, default=generate_webhook_secret)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.secret[:10]}… ({self.created_at:%Y-%m-%d %H:%M})"


class WebhookDelivery(models.Model):
    """One event for one URL: an outbox row written with the change it reports."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    message_id = models.CharField(max_length=64, unique=True, default=generate_message_id)
    url = models.URLField(max_length=2048)
    event = models.CharField(max_length=64)
    payload = models.JSONField()
    # What the event is about (a fileId), so other apps can list its deliveries
    # without this app knowing their models.
    subject = models.CharField(max_length=64, blank=True, db_index=True)
    # Set for account events: the endpoint's own secret signs them. Deleting
    # the endpoint fails its pending deliveries (services.webhook_endpoint_delete).
    endpoint = models.ForeignKey(
        "WebhookEndpoint",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # A worker holds the delivery while it sends (see services.delivery_attempt).
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # When the task last sent for this delivery is due to run, so the sweep
    # does not queue the same delivery again every few seconds.
    dispatched_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            # The sweep (selectors.due_delivery_ids): pending deliveries whose
            # next attempt is due.
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_pending_due_idx",
                condition=Q(status="pending"),
            ),
            models.Index(fields=["status", "-created_at"], name="delivery_status_created_idx"),
        ]
        permissions = [("redeliver_webhookdelivery", "Can redeliver webhooks")]

    def __str__(self) -> str:
        return f"{self.event} → {self.url} ({self.status})"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="delivery_attempts"
    )
    attempted_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    # Capped (core.outbound.RESPONSE_BODY_LIMIT) so a large answer cannot fill the database.
    response_body = models.TextField(blank=True)

    class Meta:
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.attempted_at:%Y-%m-%d %H:%M:%S}"

    @property
    def succeeded(self) -> bool:
        return self.status_code == 200


def generate_endpoint_id() -> str:
    return secrets.token_hex(12)


# The account events an endpoint may subscribe to (the SDK's WebhookEventType).
ACCOUNT_EVENT_TYPES = (
    "video.transformation.accepted",
    "video.transformation.ready",
    "video.transformation.error",
    "upload.pre-transform.success",
    "upload.pre-transform.error",
    "upload.post-transform.success",
    "upload.post-transform.error",
    "file.created",
    "file.updated",
    "file.deleted",
    "file-version.created",
    "file-version.deleted",
    "folder.created",
    "folder.updated",
    "folder.deleted",
)


class WebhookEndpoint(models.Model):
    """An account event webhook (`/v1/accounts/webhooks`): a URL, its events, its own secret."""

    endpoint_id = models.CharField(max_length=24, unique=True, default=generate_endpoint_id)
    url = models.URLField(max_length=2048, unique=True)
    events = models.JSONField(default=list)
    enabled = models.BooleanField(default=True)
    secret = models.CharField(max_length=128, unique=True, default=generate_webhook_secret)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url
