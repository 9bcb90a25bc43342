"""The delivery log and the signing secret. Read-only: rows are written by services.

Account event webhooks (`WebhookEndpoint`) are edited here too, checked by the
same rules as `/v1/accounts/webhooks`; their secret is generated and read-only.

Actions: "Redeliver now" (permission webhooks.redeliver_webhookdelivery) and
rotating the secret (permission webhooks.add_webhooksecret).
"""

from __future__ import annotations

import json

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from core.admin_tools import (
    LargeLogAdminMixin,
    ReadOnlyAdminMixin,
    ReadOnlyTabularInline,
    newest_rows_formset,
)
from core.exceptions import ApplicationError
from webhooks import services
from webhooks.models import (
    ACCOUNT_EVENT_TYPES,
    DeliveryAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookSecret,
)

RESPONSE_EXCERPT_CHARS = 2000


class DeliveryAttemptInline(ReadOnlyTabularInline):
    model = DeliveryAttempt
    formset = newest_rows_formset(50)
    fields = ("attempted_at", "duration_ms", "status_code", "error", "response_excerpt")
    verbose_name_plural = "attempts (newest first, at most 50)"

    @admin.display(description="response body")
    def response_excerpt(self, attempt: DeliveryAttempt) -> str:
        body = attempt.response_body
        if len(body) <= RESPONSE_EXCERPT_CHARS:
            return format_html("<pre>{}</pre>", body)
        return format_html(
            "<pre>{}</pre>… ({} characters kept)", body[:RESPONSE_EXCERPT_CHARS], len(body)
        )


# What identifies a delivery and its state, in the list and on its page.
DELIVERY_COLUMNS = ("message_id", "event", "url", "subject", "status", "attempts")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(LargeLogAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        *DELIVERY_COLUMNS,
        "last_attempt_at",
        "next_attempt_at",
        "created_at",
    )
    list_filter = ("status", "event")
    search_fields = ("=message_id", "=subject", "url")
    fields = (
        *DELIVERY_COLUMNS,
        "first_attempt_at",
        "last_attempt_at",
        "next_attempt_at",
        "delivered_at",
        "created_at",
        "payload_pretty",
    )
    readonly_fields = fields
    inlines = [DeliveryAttemptInline]
    actions = ["redeliver_now"]

    @admin.display(description="payload")
    def payload_pretty(self, delivery: WebhookDelivery) -> str:
        return format_html(
            "<pre>{}</pre>", json.dumps(delivery.payload, indent=2, ensure_ascii=False)
        )

    def has_redeliver_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("webhooks.redeliver_webhookdelivery")

    @admin.action(description="Redeliver now", permissions=["redeliver"])
    def redeliver_now(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = 0
        for delivery in queryset:
            services.delivery_redeliver(delivery=delivery)
            count += 1
        self.message_user(
            request,
            f"{count} deliveries will be attempted now, with their message ids unchanged.",
            messages.SUCCESS,
        )


@admin.register(WebhookSecret)
class WebhookSecretAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("masked_secret", "created_at")
    fields = ("masked_secret", "created_at")
    readonly_fields = fields
    change_list_template = "admin/webhooks/webhooksecret/change_list.html"

    @admin.display(description="secret")
    def masked_secret(self, secret: WebhookSecret) -> str:
        return f"{secret.secret[:10]}…"

    def has_rotate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("webhooks.add_webhooksecret")

    def get_urls(self) -> list:
        rotate = path(
            "rotate/",
            self.admin_site.admin_view(self.rotate_view),
            name="webhooks_webhooksecret_rotate",
        )
        return [rotate, *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        # The secret itself only to those who may manage it (rotate it).
        can_rotate = self.has_rotate_permission(request)
        current = services.webhook_secret_current()
        context = {
            **(extra_context or {}),
            "current_secret": current if can_rotate else f"{current[:10]}…",
            "can_rotate": can_rotate,
            "previous_secrets": [
                f"{secret[:10]}…"
                for secret in services.webhook_secrets_in_grace(now=timezone.now())
            ],
            "grace_hours": settings.WEBHOOKS_SECRET_ROTATION_GRACE / 3600,
        }
        return super().changelist_view(request, extra_context=context)

    def rotate_view(self, request: HttpRequest) -> HttpResponse:
        """GET asks for confirmation; POST makes a new secret."""
        if not self.has_rotate_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            services.webhook_secret_rotate()
            self.message_user(
                request,
                "A new webhook secret signs deliveries from now on; give it to your receivers. "
                "The previous one signs them too during the grace period.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:webhooks_webhooksecret_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Rotate the webhook secret?",
        }
        return TemplateResponse(
            request, "admin/webhooks/webhooksecret/rotate_confirmation.html", context
        )


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=2048, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=[(name, name) for name in ACCOUNT_EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("url", "events", "enabled")

    def clean_url(self) -> str:
        try:
            return services.clean_endpoint_url(
                self.cleaned_data["url"], exclude_pk=self.instance.pk
            )
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_events(self) -> list[str]:
        try:
            return services.clean_webhook_events(list(self.cleaned_data["events"]))
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("url", "endpoint_id", "enabled", "event_list", "created_at")
    list_filter = ("enabled",)
    search_fields = ("url", "=endpoint_id")
    readonly_fields = ("endpoint_id", "secret", "created_at", "updated_at")

    @admin.display(description="events")
    def event_list(self, endpoint: WebhookEndpoint) -> str:
        return ", ".join(endpoint.events)

    def delete_model(self, request: HttpRequest, obj: WebhookEndpoint) -> None:
        services.webhook_endpoint_delete(endpoint_id=obj.endpoint_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            services.webhook_endpoint_delete(endpoint_id=endpoint.endpoint_id)
