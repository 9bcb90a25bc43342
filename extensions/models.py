"""The extensions app's tables: extension runs, the unit account with its ledger, and
saved extension configurations."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q


class ExtensionRun(models.Model):
    """One request to run one extension on one asset version."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCESS = "success", "Success"
        FAILED = "failed", "Failed"

    class Mode(models.TextChoices):
        SYNC = "sync", "Synchronous"
        ASYNC = "async", "Asynchronous"

    asset = models.ForeignKey(
        "medialib.Asset", on_delete=models.CASCADE, related_name="extension_runs"
    )
    version = models.ForeignKey(
        "medialib.AssetVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="extension_runs",
    )
    # The public extension name the client asked for ("google-auto-tagging").
    name = models.CharField(max_length=64)
    # The provider that serves it ("google-cloud-vision", "local-auto-tagging").
    backend = models.CharField(max_length=64)
    params = models.JSONField(default=dict, blank=True)
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.ASYNC)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    overwrite_ai_tags = models.BooleanField(default=True)
    webhook_url = models.URLField(max_length=2048, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Who runs it until when; a run whose lease expired may be claimed again.
    lease_owner = models.CharField(max_length=255, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    units_reserved = models.PositiveIntegerField(default=0)
    units_charged = models.PositiveIntegerField(default=0)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Whether this is the latest run of its extension on its asset (the highest id:
    # extensions.selectors). Kept by extension_runs_insert, the one writer of new runs:
    # the admin's status filter reads it (a partial index) instead of proving, for each
    # run of the status, that no newer run of its extension exists.
    is_latest = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweep: pending runs whose next attempt is due.
            models.Index(
                fields=["next_attempt_at"],
                name="run_pending_due_idx",
                condition=Q(status="pending"),
            ),
            # The latest run of each extension of an asset (extensionStatus).
            models.Index(fields=["asset", "name", "-created_at"], name="run_asset_name_idx"),
            # The admin's status filter: the assets whose latest run has a status.
            models.Index(
                fields=["status", "name", "asset"],
                condition=Q(is_latest=True),
                name="run_latest_status_idx",
            ),
            models.Index(fields=["status", "-created_at"], name="run_status_created_idx"),
            # The admin's date_hierarchy (MIN/MAX and per-day lists of created_at).
            models.Index(fields=["created_at"], name="run_created_idx"),
        ]
        permissions = [("rerun_extensionrun", "Can re-run extensions")]

    def __str__(self) -> str:
        return f"{self.name} on {self.asset_id} ({self.status})"


class UnitAccount(models.Model):
    """The plan's balance of extension units."""

    # The one account this library has; the name leaves room for more.
    DEFAULT_NAME = "default"

    name = models.CharField(max_length=64, unique=True, default=DEFAULT_NAME)
    balance = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="unit_balance_not_negative"),
        ]
        permissions = [("topup_unitaccount", "Can top up extension units")]

    def __str__(self) -> str:
        return f"{self.name}: {self.balance} units"


class UnitLedgerEntry(models.Model):
    """Append-only: every change of a balance, with the balance after it."""

    class Reason(models.TextChoices):
        RESERVE = "reserve", "Reserved for a run"
        REFUND = "refund", "Refunded (run failed)"
        TOPUP = "topup", "Top-up"
        GRANT = "grant", "Initial grant"

    account = models.ForeignKey(UnitAccount, on_delete=models.PROTECT, related_name="entries")
    run = models.ForeignKey(
        ExtensionRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="ledger"
    )
    delta = models.BigIntegerField()
    reason = models.CharField(max_length=16, choices=Reason.choices)
    note = models.CharField(max_length=255, blank=True)
    balance_after = models.BigIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "unit ledger entries"
        constraints = [
            # A run is reserved once and refunded at most once, whatever retries happen.
            models.UniqueConstraint(
                fields=["run", "reason"],
                condition=Q(run__isnull=False),
                name="ledger_once_per_run_and_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delta:+d} ({self.reason})"


def generate_saved_extension_id() -> str:
    return secrets.token_hex(12)


class SavedExtension(models.Model):
    """A named extension configuration, run by `{"name": "saved-extension", "id": ...}`."""

    saved_id = models.CharField(
        max_length=24, unique=True, default=generate_saved_extension_id, editable=False
    )
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    # One base extension item, as clean_extensions accepts it: {"name": "remove-bg", ...}.
    config = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.config.get('name', '?')})"
