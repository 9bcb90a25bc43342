"""Admin of the media library: browse assets, run extensions on them, manage API keys.

Assets are shown, never edited here: uploads, renames and tags go through the
API and the UI, which keep files, paths and versions consistent. The asset list
stays fast on 100,000 assets: filters are Exists subqueries on indexed columns,
search looks tags up by their indexed names, every page costs a fixed number of
queries (versions prefetched; tags, AI tags and the latest runs read as values by
AssetChangeList), and no list is counted in full: an unfiltered one is estimated, a
filtered one counted up to 1,000 (see benchmarks/run.py, figure 7).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.views.main import ChangeList
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from core.admin_tools import (
    EstimatedCountPaginator,
    LargeLogAdminMixin,
    ReadOnlyAdminMixin,
    ReadOnlyTabularInline,
    TermSearchMixin,
)
from core.exceptions import ApplicationError
from extensions import registry
from extensions.admin import (
    RERUN_PERMISSION,
    AutoTaggingForm,
    ExtensionRunInline,
    RemoveBackgroundForm,
    asset_admin_link,
    auto_tagging_choices,
    extension_action,
    run_admin_link,
    status_badges,
)
from extensions.models import ExtensionRun
from extensions.selectors import latest_extension_statuses, latest_status_q
from medialib import delivery, selectors, services
from medialib.models import (
    AITag,
    ApiKey,
    Asset,
    AssetTag,
    AssetVersion,
    Folder,
    NamedTransformation,
    Tag,
)
from medialib.services import named_transformations
from webhooks.models import WebhookDelivery

AI_TAGS_SHOWN_IN_LIST = 6
PREVIEW_TRANSFORMATION = "w-720,h-540,c-at_max"
PREVIEW_TRANSFORMATION_2X = "w-1440,h-1080,c-at_max"
# The sidebar's links cost 0.1 ms each on every page of the list (300 were a third
# of an empty page); any other folder or tag works in the URL (?folder=, ?tag=).
FOLDERS_OFFERED = 50
TAGS_OFFERED = 50
DELIVERIES_SHOWN = 50
ROOT_FOLDER = "/"


# List filters --------------------------------------------------------------------------


class FolderFilter(admin.SimpleListFilter):
    title = "folder"
    parameter_name = "folder"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        paths = Folder.objects.order_by("path").values_list("path", flat=True)[:FOLDERS_OFFERED]
        return [(ROOT_FOLDER, "/ (root)"), *((path, path) for path in paths)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Asset]) -> QuerySet[Asset]:
        value = self.value()
        if not value:
            return queryset
        if value == ROOT_FOLDER:
            return queryset.filter(folder__isnull=True)
        return queryset.filter(folder_id__in=Folder.objects.filter(path=value).values("pk"))


class TagFilter(admin.SimpleListFilter):
    """Any tag name works in the URL (?tag=...); the first ones are offered."""

    title = "tag"
    parameter_name = "tag"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        names = Tag.objects.order_by("name").values_list("name", flat=True)[:TAGS_OFFERED]
        return [(name, name) for name in names]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Asset]) -> QuerySet[Asset]:
        if not self.value():
            return queryset
        return queryset.filter(
            Exists(AssetTag.objects.filter(asset_id=OuterRef("pk"), tag__name=self.value()))
        )


class AssetAITagSourceFilter(admin.SimpleListFilter):
    """Assets with AI tags from an extension, or with none."""

    title = "AI tag source"
    parameter_name = "ai_source"
    NONE = "none"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [*auto_tagging_choices(), (self.NONE, "No AI tags")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Asset]) -> QuerySet[Asset]:
        value = self.value()
        if not value:
            return queryset
        if value == self.NONE:
            return queryset.filter(has_ai_tags=False)
        return queryset.filter(Exists(AITag.objects.filter(asset_id=OuterRef("pk"), source=value)))


class ExtensionFilter(admin.SimpleListFilter):
    """Assets on which an extension was requested; narrows the status filter too."""

    title = "extension"
    parameter_name = "extension"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(name, name) for name in registry.EXTENSIONS]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Asset]) -> QuerySet[Asset]:
        if not self.value():
            return queryset
        return queryset.filter(
            Exists(ExtensionRun.objects.filter(asset_id=OuterRef("pk"), name=self.value()))
        )


class ExtensionStatusFilter(admin.SimpleListFilter):
    """Assets whose latest run of an extension has this status.

    With the extension filter set, only that extension's latest run counts;
    otherwise any extension's.
    """

    title = "extension status"
    parameter_name = "extension_status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return list(ExtensionRun.Status.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Asset]) -> QuerySet[Asset]:
        if self.value() not in ExtensionRun.Status.values:
            return queryset
        # The extension filter's own parameter (it is consumed by that filter's __init__).
        extension_name = request.GET.get(ExtensionFilter.parameter_name, "")
        return queryset.filter(latest_status_q(status=self.value(), name=extension_name))


# The asset page -----------------------------------------------------------------------


class AssetVersionInline(ReadOnlyTabularInline):
    model = AssetVersion
    fields = (
        "number",
        "file_link",
        "is_current",
        "size_display",
        "dimensions",
        "mime",
        "origin",
        "origin_detail",
        "created_by",
        "created_at",
    )
    ordering = ("-number",)
    list_select_related = ("created_by",)
    verbose_name_plural = "versions"

    @admin.display(description="File")
    def file_link(self, version: AssetVersion) -> str:
        url = version_file_url(version)
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            url,
            version.name or version.version_id,
        )

    @admin.display(description="Current", boolean=True)
    def is_current(self, version: AssetVersion) -> bool:
        return version.pk == version.asset.current_version_id

    @admin.display(description="Size")
    def size_display(self, version: AssetVersion) -> str:
        return filesizeformat(version.size)

    @admin.display(description="Dimensions")
    def dimensions(self, version: AssetVersion) -> str:
        return _dimensions(version)


def version_file_url(version: AssetVersion) -> str:
    """The URL serving one version's bytes (any version, private or not) to signed-in users."""
    return reverse("asset-version-content", args=[version.asset.file_id, version.version_id])


def _dimensions(version: AssetVersion | None) -> str:
    if version is None or not version.width or not version.height:
        return "-"
    return f"{version.width} x {version.height}"


class AITagInline(ReadOnlyTabularInline):
    model = AITag
    fields = ("name", "confidence", "source", "created_at")
    verbose_name_plural = "AI tags"


@dataclass(frozen=True)
class AssetRow:
    """What the list shows of an asset besides its own columns."""

    tag_names: list[str]
    ai_tag_names: list[str]
    statuses: dict[str, str]


def asset_rows(assets: list[Asset]) -> dict[int, AssetRow]:
    """The rows of a page of assets, read as values in three queries."""
    ids = [asset.pk for asset in assets]
    tag_names = selectors.tag_names_by_asset(asset_ids=ids)
    ai_tags = selectors.ai_tags_by_asset(asset_ids=ids)
    statuses = latest_extension_statuses(asset_ids=ids)
    return {
        pk: AssetRow(
            tag_names=tag_names.get(pk, []),
            ai_tag_names=[name for name, _confidence, _source in ai_tags.get(pk, [])],
            statuses=statuses.get(pk, {}),
        )
        for pk in ids
    }


def _shown(value: str) -> str:
    # As the admin shows a column's text: blank is blank.
    return "" if value.strip() == "" else value


def _escaped(value: object) -> str:
    """conditional_escape's text, without the lazy-string wrapper around each call."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


def _checkbox(asset: Asset, label: str) -> str:
    """The row's action checkbox, as Django's (a CheckboxInput through the template
    engine, 2 ms of a 100-row page); `label` is the translated aria-label, {} the asset."""
    aria_label = _escaped(label.format(_escaped(str(asset))))
    return (
        f'<input type="checkbox" name="{helpers.ACTION_CHECKBOX_NAME}" value="{asset.pk}" '
        f'class="action-select" aria-label="{aria_label}">'
    )


class _LocalTimes:
    """Times as the admin shows a DateTimeField (formats.localize of the local time),
    each minute formatted once when the format shows no seconds (Django's default).

    Formatting goes through a translation look-up for each month name and "a.m.",
    about a fifth of the rows' time; a page of recent uploads shares few minutes.
    """

    # Format characters below the minute (seconds, microseconds, ISO/RFC forms) and of
    # the UTC offset, which differs between the two 1:30s of a DST change.
    _BELOW_MINUTE = frozenset("sucrUvOTZeI")

    def __init__(self) -> None:
        self._by_minute = not (self._BELOW_MINUTE & set(formats.get_format("DATETIME_FORMAT")))
        self._shown: dict[datetime, str] = {}

    def __call__(self, value: datetime) -> str:
        local = timezone.template_localtime(value)
        if not self._by_minute:
            return formats.localize(local)
        minute = local.replace(second=0, microsecond=0)
        if minute not in self._shown:
            self._shown[minute] = formats.localize(local)
        return self._shown[minute]


def _size(version: AssetVersion | None) -> str:
    return filesizeformat(version.size) if version else "-"


def _tag_list(row: AssetRow) -> str:
    return ", ".join(row.tag_names) or "-"


def _ai_tag_list(row: AssetRow) -> str:
    names = row.ai_tag_names
    if not names:
        return "-"
    shown = ", ".join(names[:AI_TAGS_SHOWN_IN_LIST])
    hidden = len(names) - AI_TAGS_SHOWN_IN_LIST
    return f"{shown} (+{hidden})" if hidden > 0 else shown


def _row(asset: Asset) -> AssetRow:
    # The change page shows one asset, which no change list has loaded.
    row = getattr(asset, "list_row", None)
    return row if row is not None else asset_rows([asset])[asset.pk]


class AssetChangeList(ChangeList):
    """The asset list, each page's tags, AI tags and latest run statuses read as values.

    prefetch_related built a model instance for each tag and run, and a queryset for
    each asset and relation: most of the time of a page of 100 assets.
    """

    def url_for_result(self, result: Asset) -> str:
        # The change URL differs by the primary key only: one reverse() per page,
        # not one per row and link.
        if not hasattr(self, "_change_url"):
            self._change_url = super().url_for_result(Asset(pk=0)).replace("/0/", "/{}/")
        return self._change_url.format(result.pk)

    def result_rows(self) -> list[list[str]]:
        """The cells of each row, as Django's items_for_result writes them for these columns.

        The template tag asset_result_list shows them; tests compare both outputs. Cells
        are written with `_escaped` and f-strings: format_html's escaping through lazy-
        string wrappers, twelve times a row, was half of the rows' time.
        """
        admin_ = self.model_admin
        empty = admin_.get_empty_value_display()
        # The change URL with the list's filters, once per page (add_preserved_filters
        # parses and re-encodes it for each link otherwise).
        link = _escaped(
            add_preserved_filters(
                {"preserved_filters": self.preserved_filters, "opts": self.opts},
                self.url_for_result(Asset(pk=0)).replace("/0/", "/{}/"),
            )
        )
        checkbox_label = _("Select this object for an action - {}") if self._checkbox else None
        created = _LocalTimes()
        rows = []
        for asset in self.result_list:
            url = link.format(asset.pk)
            cells = (
                [f'<td class="action-checkbox">{_checkbox(asset, checkbox_label)}</td>']
                if checkbox_label is not None
                else []
            )
            version = asset.current_version
            row = asset.list_row
            cells += [
                f'<th class="field-thumbnail"><a href="{url}">'
                f"{_shown(admin_.thumbnail(asset))}</a></th>",
                f'<td class="field-name"><a href="{url}">{_escaped(asset.name or empty)}</a></td>',
                f'<td class="field-file_path">{_escaped(asset.file_path or empty)}</td>',
                f'<td class="field-file_type">'
                f"{_escaped(asset.get_file_type_display() or empty)}</td>",
                f'<td class="field-size">{_escaped(_size(version))}</td>',
                f'<td class="field-dimensions">{_escaped(_dimensions(version))}</td>',
                f'<td class="field-tag_list">{_escaped(_shown(_tag_list(row)))}</td>',
                f'<td class="field-ai_tag_list">{_escaped(_shown(_ai_tag_list(row)))}</td>',
                f'<td class="field-extension_statuses">{status_badges(row.statuses)}</td>',
                f'<td class="field-created_at nowrap">{_escaped(created(asset.created_at))}</td>',
            ]
            rows.append(cells)
        return rows

    @property
    def _checkbox(self) -> bool:
        return "action_checkbox" in self.list_display

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        # A list that fits one page is the whole queryset, not a slice: when the
        # count found nothing, running it again would repeat the count's scan (all
        # the AI tags for "no AI tags" when every asset has some).
        assets = [] if self.result_count == 0 else list(self.result_list)
        rows = asset_rows(assets)
        for asset in assets:
            asset.list_row = rows[asset.pk]
        self.result_list = assets


@admin.register(Asset)
class AssetAdmin(TermSearchMixin, admin.ModelAdmin):
    list_display = (
        "thumbnail",
        "name",
        "file_path",
        "file_type",
        "size",
        "dimensions",
        "tag_list",
        "ai_tag_list",
        "extension_statuses",
        "created_at",
    )
    list_display_links = ("thumbnail", "name")
    list_filter = (
        FolderFilter,
        "file_type",
        TagFilter,
        AssetAITagSourceFilter,
        ExtensionFilter,
        ExtensionStatusFilter,
    )
    # The current version is prefetched rather than joined: a join would be made
    # for every row an OFFSET skips, on deep pages tens of thousands.
    list_select_related = False
    search_fields = ("name",)
    search_help_text = "Part of a file name, a fileId, or a whole tag or AI tag name."
    # Only indexed columns: asset_name_idx, the unique file_path, asset_created_idx.
    sortable_by = ("name", "file_path", "created_at")
    ordering = ("-created_at", "-id")
    show_full_result_count = False
    # Each row costs about 1.7 ms to render (twelve columns through the admin's
    # templates); 50 rows keep a page near the cost of its filters and sidebar.
    list_per_page = 50
    # Facet counts would run a count per filter choice over the whole table.
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    actions = ("run_auto_tagging", "remove_background")
    fields = (
        "preview",
        "file_id",
        "name",
        "file_path",
        "folder",
        "file_type",
        "is_private",
        "is_published",
        "description",
        "tag_list",
        "custom_coordinates",
        "custom_metadata",
        "current_version_info",
        "extension_statuses",
        "webhook_deliveries",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = (AssetVersionInline, AITagInline, ExtensionRunInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Asset]:
        return super().get_queryset(request).prefetch_related("current_version")

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return AssetChangeList

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, asset: Asset) -> str:
        return mark_safe(_checkbox(asset, _("Select this object for an action - {}")))  # noqa: S308

    def search(self, queryset: QuerySet[Asset], term: str) -> QuerySet[Asset]:
        """Name (any part), fileId, or a whole tag or AI tag name; never duplicates."""
        return queryset.filter(selectors.asset_term_q(term))

    # Assets change through the API and the UI only.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Asset | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Asset | None = None) -> bool:
        return False

    def has_rerun_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(RERUN_PERMISSION)

    # Columns ---------------------------------------------------------------------------

    @admin.display(description="")
    def thumbnail(self, asset: Asset) -> str:
        if not delivery.has_thumbnail(asset=asset, version=asset.current_version):
            return "-"
        # The thumbnail's URL alone (viewer_urls signs the file's URL too).
        url = delivery.viewer_url(asset=asset, transformation=delivery.THUMBNAIL_TRANSFORMATION)
        # Images through renditions that fit the 64-pixel box at 1x and 2x; the
        # stored thumbnail (n-ik_ml_thumbnail) for browsers without srcset.
        srcset = ""
        if asset.file_type == Asset.FileType.IMAGE:
            srcset = ", ".join(
                delivery.viewer_url(asset=asset, transformation=f"w-{px},h-{px},c-at_max")
                + f" {density}x"
                for density, px in ((1, 64), (2, 128))
            )
        return format_html(
            '<img src="{}" srcset="{}" alt="" loading="lazy" '
            'style="max-width:64px;max-height:64px">',
            url,
            srcset,
        )

    @admin.display(description="Size")
    def size(self, asset: Asset) -> str:
        return _size(asset.current_version)

    @admin.display(description="Dimensions")
    def dimensions(self, asset: Asset) -> str:
        return _dimensions(asset.current_version)

    @admin.display(description="Tags")
    def tag_list(self, asset: Asset) -> str:
        return _tag_list(_row(asset))

    @admin.display(description="AI tags")
    def ai_tag_list(self, asset: Asset) -> str:
        return _ai_tag_list(_row(asset))

    @admin.display(description="Extensions")
    def extension_statuses(self, asset: Asset) -> str:
        return status_badges(_row(asset).statuses)

    # The change page -------------------------------------------------------------------

    @admin.display(description="Preview")
    def preview(self, asset: Asset) -> str:
        if asset.file_type != Asset.FileType.IMAGE:
            return "-"
        # Shown through transformations that fit the box (1x and 2x), linking to the file.
        url = delivery.viewer_urls(asset=asset)["url"]
        one = delivery.viewer_url(asset=asset, transformation=PREVIEW_TRANSFORMATION)
        two = delivery.viewer_url(asset=asset, transformation=PREVIEW_TRANSFORMATION_2X)
        return format_html(
            '<a href="{0}" target="_blank" rel="noopener"><img src="{1}" srcset="{1} 1x, {2} 2x" '
            'alt="{3}" style="max-width:min(100%,720px);max-height:540px;'
            'background:repeating-conic-gradient(#ddd 0 25%,#fff 0 50%) 0 0/16px 16px"></a>',
            url,
            one,
            two,
            asset.name,
        )

    @admin.display(description="Current version")
    def current_version_info(self, asset: Asset) -> str:
        version = asset.current_version
        if version is None:
            return "-"
        return (
            f"Version {version.number} · {version.mime} · {filesizeformat(version.size)} · "
            f"{_dimensions(version)}{' · alpha' if version.has_alpha else ''}"
        )

    @admin.display(description="Webhook deliveries")
    def webhook_deliveries(self, asset: Asset) -> str:
        deliveries = list(
            WebhookDelivery.objects.filter(subject=asset.file_id).order_by("-created_at", "-id")[
                :DELIVERIES_SHOWN
            ]
        )
        if not deliveries:
            return "-"
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>'
            "<td>{}</td></tr>",
            (
                (
                    reverse("admin:webhooks_webhookdelivery_change", args=[d.pk]),
                    d.message_id,
                    d.event,
                    d.url,
                    d.status,
                    d.attempts,
                    d.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                )
                for d in deliveries
            ),
        )
        return format_html(
            "<table><thead><tr><th>Delivery</th><th>Event</th><th>URL</th><th>Status</th>"
            "<th>Attempts</th><th>Created</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    # Actions -----------------------------------------------------------------------------

    @admin.action(description="Run auto-tagging…", permissions=["rerun"])
    def run_auto_tagging(self, request: HttpRequest, queryset: QuerySet[Asset]):
        return extension_action(
            self, request, queryset, form_class=AutoTaggingForm, action_name="run_auto_tagging"
        )

    @admin.action(description="Remove background…", permissions=["rerun"])
    def remove_background(self, request: HttpRequest, queryset: QuerySet[Asset]):
        return extension_action(
            self,
            request,
            queryset,
            form_class=RemoveBackgroundForm,
            action_name="remove_background",
        )


# AI tags ------------------------------------------------------------------------------


class AITagSourceFilter(admin.SimpleListFilter):
    """AI tags written by an extension."""

    title = "source"
    parameter_name = "source"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return auto_tagging_choices()

    def queryset(self, request: HttpRequest, queryset: QuerySet[AITag]) -> QuerySet[AITag]:
        return queryset.filter(source=self.value()) if self.value() else queryset


@admin.register(AITag)
class AITagAdmin(TermSearchMixin, LargeLogAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "confidence", "source", "asset_link", "run_link", "created_at")
    list_filter = (AITagSourceFilter,)
    list_select_related = ("asset",)
    search_fields = ("name",)
    search_help_text = "A tag name (whole name)."
    sortable_by = ("name",)
    fields = ("name", "confidence", "source", "asset_link", "run_link", "created_at")
    readonly_fields = fields

    def search(self, queryset: QuerySet[AITag], term: str) -> QuerySet[AITag]:
        return queryset.filter(name__in=selectors.tag_name_variants(term))

    @admin.display(description="Asset")
    def asset_link(self, tag: AITag) -> str:
        return asset_admin_link(tag.asset)

    @admin.display(description="Run")
    def run_link(self, tag: AITag) -> str:
        return run_admin_link(tag.run_id)


# API keys -----------------------------------------------------------------------------


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Create (the private key is shown once, on the page answering the form) and revoke.

    Only a hash of the secret is stored; nothing here shows or edits it.
    """

    list_display = (
        "name",
        "prefix",
        "scope",
        "public_key",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked",
    )
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "scope")
    search_fields = ("name", "=prefix")
    actions = ("revoke_keys",)
    # A key's scope is fixed when it is issued: for other powers, issue another key.
    readonly_fields = (
        "scope",
        "prefix",
        "public_key",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    )

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> list[str]:
        if obj is None:
            return ["name", "scope"]
        return ["name", *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None):
        return () if obj is None else self.readonly_fields

    @admin.display(description="Revoked", boolean=True, ordering="revoked_at")
    def revoked(self, api_key: ApiKey) -> bool:
        return api_key.revoked_at is not None

    def save_model(self, request: HttpRequest, obj: ApiKey, form, change: bool) -> None:
        if change:
            obj.save(update_fields=["name"])
            return
        issued = services.api_key_create(name=obj.name, created_by=request.user, scope=obj.scope)
        # The admin goes on with the saved row (log entry, redirect); the private
        # key travels only in this request, to the page that shows it.
        obj.pk = issued.api_key.pk
        obj.refresh_from_db()
        request._issued_private_key = issued.private_key

    def response_add(self, request: HttpRequest, obj: ApiKey, post_url_continue=None):
        private_key = getattr(request, "_issued_private_key", None)
        if private_key is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": "API key created",
            "opts": self.model._meta,
            "api_key": obj,
            "private_key": private_key,
        }
        # Admin views are never cached (no-store), so the key stays on this one page.
        return TemplateResponse(request, "admin/medialib/apikey/created.html", context)

    @admin.action(description="Revoke selected API keys", permissions=["change"])
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        active = list(queryset.filter(revoked_at__isnull=True))
        for api_key in active:
            services.api_key_revoke(api_key=api_key)
        self.message_user(
            request,
            f"{len(active)} API key(s) revoked; requests with them now get 401.",
            messages.SUCCESS,
        )


class NamedTransformationForm(forms.ModelForm):
    """The same rules as the API: a valid name and a transformation string that parses."""

    class Meta:
        model = NamedTransformation
        fields = ["name", "transformation", "enabled"]

    def clean_name(self) -> str:
        return _as_validation_error(
            named_transformations.clean_named_transformation_name, self.cleaned_data["name"]
        )

    def clean_transformation(self) -> str:
        return _as_validation_error(
            named_transformations.clean_transformation_text,
            self.cleaned_data["transformation"],
        )


def _as_validation_error(clean: Any, value: Any) -> Any:
    try:
        return clean(value)
    except ApplicationError as error:
        raise forms.ValidationError(error.message) from None


@admin.register(NamedTransformation)
class NamedTransformationAdmin(admin.ModelAdmin):
    form = NamedTransformationForm
    list_display = ["name", "transformation", "enabled", "updated_at"]
    list_filter = ["enabled"]
    search_fields = ["name"]
    readonly_fields = ["public_id", "created_at", "updated_at"]
