"""Admin of the extensions app: runs, units, and the extension actions on assets.

Everything here shows what the services wrote; the only writes are the actions
(run an extension, retry a run, top up units) and they go through
extensions.services, the same functions the API uses.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from core.admin_tools import (
    LargeLogAdminMixin,
    ReadOnlyAdminMixin,
    ReadOnlyTabularInline,
    TermSearchMixin,
    newest_rows_formset,
)
from core.exceptions import ApplicationError
from extensions import registry, selectors, services
from extensions.models import ExtensionRun, SavedExtension, UnitAccount, UnitLedgerEntry
from medialib.models import AITag, Asset

RERUN_PERMISSION = "extensions.rerun_extensionrun"
TOPUP_PERMISSION = "extensions.topup_unitaccount"
# One admin action creates at most this many runs' worth of assets in one transaction.
MAX_ASSETS_PER_ACTION = 1000
RUNS_SHOWN_ON_ASSET = 50
LEDGER_ENTRIES_SHOWN = 100

STATUS_COLOURS = {
    ExtensionRun.Status.PENDING: "#b36b00",
    ExtensionRun.Status.SUCCESS: "#2e7d32",
    ExtensionRun.Status.FAILED: "#c62828",
}


# A few extensions and three statuses: the asset list's badges are made once each, not
# formatted again in every row of every page.
@functools.lru_cache(maxsize=256)
def status_badge(status: str, label: str = "") -> str:
    return format_html(
        '<span style="color:{};font-weight:600;white-space:nowrap">{}</span>',
        STATUS_COLOURS.get(status, "inherit"),
        label or status,
    )


def status_badges(statuses: dict[str, str]) -> str:
    """One compact line of "name: status" badges, e.g. for the asset list."""
    if not statuses:
        return "-"
    badges = (
        status_badge(status, f"{name}: {status}") for name, status in sorted(statuses.items())
    )
    # Each badge is format_html's output.
    return mark_safe(" ".join(badges))  # noqa: S308


def asset_admin_link(asset: Asset) -> str:
    url = reverse("admin:medialib_asset_change", args=[asset.pk])
    return format_html('<a href="{}">{}</a>', url, asset.file_path)


def run_admin_link(run_id: int | None) -> str:
    if run_id is None:
        return "-"
    url = reverse("admin:extensions_extensionrun_change", args=[run_id])
    return format_html('<a href="{}">#{}</a>', url, run_id)


# What a run shows in a list: what it is, how it went, what it cost.
RUN_COLUMNS = (
    "name",
    "status_display",
    "backend",
    "mode",
    "attempts",
    "units_reserved",
    "units_charged",
    "error",
)


class RunColumnsMixin:
    """The columns a run shows wherever the admin lists runs (its own list, the asset page)."""

    @admin.display(description="Status")
    def status_display(self, run: ExtensionRun) -> str:
        return status_badge(run.status)

    @admin.display(description="Error")
    def error(self, run: ExtensionRun) -> str:
        if not run.error_code and not run.error_message:
            return "-"
        return f"{run.error_code}: {run.error_message}" if run.error_code else run.error_message

    @admin.display(description="Duration")
    def duration(self, run: ExtensionRun) -> str:
        if run.started_at is None or run.finished_at is None:
            return "-"
        return f"{(run.finished_at - run.started_at).total_seconds():.2f} s"


# Inlines of the asset page ------------------------------------------------------------


class ExtensionRunInline(RunColumnsMixin, ReadOnlyTabularInline):
    model = ExtensionRun
    fk_name = "asset"
    formset = newest_rows_formset(RUNS_SHOWN_ON_ASSET)
    ordering = ("-id",)
    fields = (
        "run_link",
        *RUN_COLUMNS,
        "created_at",
        "started_at",
        "finished_at",
        "duration",
    )
    verbose_name_plural = f"Extension runs (newest {RUNS_SHOWN_ON_ASSET})"

    @admin.display(description="Run")
    def run_link(self, run: ExtensionRun) -> str:
        return run_admin_link(run.pk)


# The "run an extension" actions on assets ----------------------------------------------


class ExtensionActionForm(forms.Form):
    """The options of one extension action; `extension_items()` is the API's JSON array."""

    title: str

    def extension_items(self) -> list[dict[str, Any]]:
        raise NotImplementedError


def auto_tagging_choices() -> list[tuple[str, str]]:
    """The auto-tagging extensions, by name, as the choices of a form or a filter."""
    return [
        (extension.name, extension.name)
        for extension in registry.extensions_of_kind(registry.AUTO_TAGGING)
    ]


class AutoTaggingForm(ExtensionActionForm):
    title = "Run auto-tagging"

    provider = forms.ChoiceField(
        choices=auto_tagging_choices,
        initial=registry.default_extension(registry.AUTO_TAGGING).name,
    )
    min_confidence = forms.FloatField(
        label="Minimum confidence",
        min_value=0,
        max_value=100,
        initial=50,
        help_text="Tags below this confidence (0-100) are dropped.",
    )
    max_tags = forms.IntegerField(
        label="Maximum tags",
        min_value=1,
        max_value=registry.MAX_TAGS_LIMIT,
        initial=10,
        help_text="At most this many tags are kept, the most confident first.",
    )

    def extension_items(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        return [
            {
                "name": data["provider"],
                "minConfidence": data["min_confidence"],
                "maxTags": data["max_tags"],
            }
        ]


# remove.bg's `type` values offered in the form (the API accepts a few more).
FOREGROUND_TYPES = ("person", "product", "car", "animal", "graphic", "transportation", "other")


class RemoveBackgroundForm(ExtensionActionForm):
    title = "Remove background"

    add_shadow = forms.BooleanField(required=False, help_text="Add an artificial shadow.")
    semitransparency = forms.BooleanField(
        required=False, initial=True, help_text="Keep semi-transparent regions (glass, hair)."
    )
    bg_color = forms.CharField(
        label="Background colour",
        required=False,
        max_length=32,
        help_text="A hex code (81d4fa) or a colour name; empty keeps the background transparent.",
    )
    foreground_type = forms.ChoiceField(
        label="Foreground type",
        required=False,
        choices=[("", "auto"), *((value, value) for value in FOREGROUND_TYPES)],
    )
    output_format = forms.ChoiceField(
        label="Format",
        required=False,
        choices=[("", "auto"), ("png", "png"), ("jpg", "jpg"), ("webp", "webp")],
    )

    def extension_items(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        options: dict[str, Any] = {
            "add_shadow": data["add_shadow"],
            "semitransparency": data["semitransparency"],
        }
        for option, field in (
            ("bg_color", "bg_color"),
            ("type", "foreground_type"),
            ("format", "output_format"),
        ):
            if data[field].strip():
                options[option] = data[field].strip()
        return [{"name": registry.default_extension(registry.REMOVE_BG).name, "options": options}]


def extension_action(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Asset],
    *,
    form_class: type[ExtensionActionForm],
    action_name: str,
) -> HttpResponse | None:
    """An asset action with an intermediate form: show the form, then create the runs.

    The form posts back to the change list with the same selection (and
    `select_across`), so the queryset the second time is the one Django builds
    for the action again. Units are checked for the whole selection first.
    """
    opts = modeladmin.model._meta
    if "apply" in request.POST:
        form = form_class(request.POST)
        if form.is_valid() and _request_runs(modeladmin, request, queryset, form):
            return None  # back to the change list, with the messages
    else:
        form = form_class()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": f"{form.title}…",
        "submit_label": form.title,
        "form": form,
        "opts": opts,
        "action_name": action_name,
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "asset_count": queryset.count(),
        "balance": selectors.unit_balance(),
        "media": modeladmin.media + form.media,
    }
    return TemplateResponse(request, "admin/extensions/extension_action.html", context)


def _request_runs(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Asset],
    form: ExtensionActionForm,
) -> bool:
    """Create the runs, or refuse them with a message; False when the form has errors to show."""
    try:
        extension_requests = services.clean_extensions(form.extension_items())
    except ApplicationError as error:
        form.add_error(None, error.message)
        return False
    assets = list(queryset.select_related("current_version")[: MAX_ASSETS_PER_ACTION + 1])
    if len(assets) > MAX_ASSETS_PER_ACTION:
        modeladmin.message_user(
            request,
            f"Select at most {MAX_ASSETS_PER_ACTION} assets at a time.",
            messages.ERROR,
        )
        return True
    cost = len(assets) * sum(registry.EXTENSIONS[item.name].units for item in extension_requests)
    balance = selectors.unit_balance()
    if cost > balance:
        modeladmin.message_user(
            request,
            f"Not enough extension units: {len(assets)} asset(s) need {cost} units and the "
            f"balance is {balance}. Nothing was queued; top up the units or select fewer assets.",
            messages.ERROR,
        )
        return True
    try:
        runs = services.extensions_request(
            assets=assets, requests=extension_requests, requested_by=request.user
        )
    except ApplicationError as error:
        modeladmin.message_user(request, error.message, messages.ERROR)
        return True
    _report_runs(modeladmin, request, runs, verb="queued")
    return True


def _report_runs(
    modeladmin: admin.ModelAdmin, request: HttpRequest, runs: Iterable[ExtensionRun], *, verb: str
) -> None:
    runs = list(runs)
    failed = [run for run in runs if run.status == ExtensionRun.Status.FAILED]
    queued = len(runs) - len(failed)
    modeladmin.message_user(request, f"{queued} run(s) {verb}.", messages.SUCCESS)
    if failed:
        reasons = sorted({run.error_message or run.error_code for run in failed})
        modeladmin.message_user(
            request,
            f"{len(failed)} run(s) failed at once: {'; '.join(reasons)}.",
            messages.WARNING,
        )


# Extension runs --------------------------------------------------------------------------


class ExtensionNameFilter(admin.SimpleListFilter):
    title = "extension"
    parameter_name = "name"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(name, name) for name in registry.EXTENSIONS]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(name=self.value()) if self.value() else queryset


class BackendFilter(admin.SimpleListFilter):
    title = "backend"
    parameter_name = "backend"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        # The providers the registry knows, rather than a DISTINCT over every run.
        names: dict[str, str] = {}
        for extension in registry.EXTENSIONS.values():
            for backend in extension.candidates():
                try:
                    provider_class = backend.provider_class()
                except (ImportError, AttributeError):
                    continue
                names[provider_class.name] = getattr(provider_class, "label", provider_class.name)
        return sorted(names.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(backend=self.value()) if self.value() else queryset


@admin.register(ExtensionRun)
class ExtensionRunAdmin(
    RunColumnsMixin, TermSearchMixin, LargeLogAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin
):
    list_display = (
        "id",
        "asset_link",
        *RUN_COLUMNS,
        "created_at",
        "finished_at",
    )
    list_display_links = ("id",)
    list_filter = ("status", ExtensionNameFilter, BackendFilter, "mode")
    list_select_related = ("asset",)
    date_hierarchy = "created_at"
    search_fields = ("asset__file_id", "asset__name")
    search_help_text = "An asset's fileId, or part of its name."
    sortable_by = ("id",)
    actions = ("retry_failed_runs",)
    fields = (
        "asset_link",
        "version",
        "name",
        "backend",
        "params",
        "mode",
        "status_display",
        "overwrite_ai_tags",
        "webhook_url",
        "attempts",
        "next_attempt_at",
        "lease_owner",
        "lease_expires_at",
        "units_reserved",
        "units_charged",
        "error_code",
        "error_message",
        "requested_by",
        "created_at",
        "started_at",
        "finished_at",
        "duration",
        "ai_tag_names",
    )

    def get_readonly_fields(self, request: HttpRequest, obj: ExtensionRun | None = None):
        return self.fields

    def search(self, queryset: QuerySet[ExtensionRun], term: str) -> QuerySet[ExtensionRun]:
        # The asset is found through its indexed columns first; runs by their asset_id.
        assets = Asset.objects.filter(Q(file_id=term.lower()) | Q(name__icontains=term))
        return queryset.filter(asset_id__in=assets.values("pk"))

    @admin.display(description="Asset", ordering="asset__file_path")
    def asset_link(self, run: ExtensionRun) -> str:
        return asset_admin_link(run.asset)

    @admin.display(description="AI tags written")
    def ai_tag_names(self, run: ExtensionRun) -> str:
        return ", ".join(AITag.objects.filter(run_id=run.pk).values_list("name", flat=True)) or "-"

    def has_rerun_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(RERUN_PERMISSION)

    @admin.action(description="Retry failed runs", permissions=["rerun"])
    def retry_failed_runs(self, request: HttpRequest, queryset: QuerySet[ExtensionRun]) -> None:
        failed = list(
            queryset.filter(status=ExtensionRun.Status.FAILED).select_related(
                "asset", "requested_by"
            )[: MAX_ASSETS_PER_ACTION + 1]
        )
        if len(failed) > MAX_ASSETS_PER_ACTION:
            self.message_user(
                request, f"Retry at most {MAX_ASSETS_PER_ACTION} runs at a time.", messages.ERROR
            )
            return
        skipped = queryset.exclude(status=ExtensionRun.Status.FAILED).count()
        new_runs = []
        for run in failed:
            try:
                new_runs.append(services.extension_run_retry(run=run))
            except ApplicationError as error:
                self.message_user(request, f"Run #{run.pk}: {error.message}", messages.ERROR)
        _report_runs(self, request, new_runs, verb="queued again")
        if skipped:
            self.message_user(
                request,
                f"{skipped} selected run(s) were not failed and were left alone.",
                messages.INFO,
            )


# Units -----------------------------------------------------------------------------------


class UnitLedgerInline(ReadOnlyTabularInline):
    model = UnitLedgerEntry
    formset = newest_rows_formset(LEDGER_ENTRIES_SHOWN)
    # Newest first on the primary key, not a sort of the whole ledger by created_at.
    ordering = ("-id",)
    fields = ("created_at", "delta", "reason", "note", "run", "balance_after", "created_by")
    list_select_related = ("run", "created_by")
    verbose_name_plural = f"Ledger (newest {LEDGER_ENTRIES_SHOWN} entries)"


class TopUpForm(forms.Form):
    amount = forms.IntegerField(min_value=1, help_text="Units to add (a positive whole number).")
    note = forms.CharField(
        label="Reason", max_length=255, help_text="Why the units are added; kept in the ledger."
    )


@admin.register(UnitAccount)
class UnitAccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "balance", "updated_at")
    fields = ("name", "balance", "updated_at")
    readonly_fields = fields
    inlines = (UnitLedgerInline,)

    def get_urls(self) -> list:
        topup = path(
            "topup/",
            self.admin_site.admin_view(self.topup_view),
            name="extensions_unitaccount_topup",
        )
        return [topup, *super().get_urls()]

    def has_topup_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(TOPUP_PERMISSION)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        context = {
            "balance": selectors.unit_balance(),
            "can_top_up": self.has_topup_permission(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ):
        context = {"can_top_up": self.has_topup_permission(request), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context=context)

    def topup_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_topup_permission(request):
            raise PermissionDenied
        form = TopUpForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                balance = services.unit_account_topup(
                    amount=form.cleaned_data["amount"],
                    note=form.cleaned_data["note"],
                    created_by=request.user,
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(
                    request,
                    f"Added {form.cleaned_data['amount']} units; the balance is now {balance}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:extensions_unitaccount_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Top up extension units",
            "opts": self.model._meta,
            "form": form,
            "balance": selectors.unit_balance(),
            "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(request, "admin/extensions/unitaccount/topup.html", context)


LEDGER_ENTRY_COLUMNS = ("account", "delta", "reason", "note", "run", "balance_after", "created_by")


@admin.register(UnitLedgerEntry)
class UnitLedgerEntryAdmin(LargeLogAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Append-only: no add, change or delete, for anyone."""

    list_display = ("created_at", *LEDGER_ENTRY_COLUMNS)
    list_filter = ("reason",)
    list_select_related = ("account", "run", "created_by")
    date_hierarchy = "created_at"
    sortable_by = ()
    fields = (*LEDGER_ENTRY_COLUMNS, "created_at")
    readonly_fields = fields


class SavedExtensionForm(forms.ModelForm):
    """The configuration is checked as the API checks it (one base extension item)."""

    class Meta:
        model = SavedExtension
        fields = ["name", "description", "config"]

    def clean_config(self) -> dict[str, Any]:
        try:
            return services.validation.clean_extension_config(self.cleaned_data["config"])
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None


@admin.register(SavedExtension)
class SavedExtensionAdmin(admin.ModelAdmin):
    form = SavedExtensionForm
    list_display = ["name", "saved_id", "extension_name", "updated_at"]
    search_fields = ["name", "saved_id", "description"]
    readonly_fields = ["saved_id", "created_at", "updated_at"]

    @admin.display(description="Extension")
    def extension_name(self, saved: SavedExtension) -> str:
        return str(saved.config.get("name", ""))
