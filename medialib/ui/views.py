"""The browser UI: thin views over medialib.ui.selectors.

Pages render on the server; htmx asks for fragments of them (the next page of
the grid, the asset panel, the live status of extension runs). Writes go from
the page's JavaScript to the JSON API with the session cookie and CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from core.exceptions import BadRequest, NotFound
from extensions import registry
from medialib import storage
from medialib.api.permissions import user_may_use_library
from medialib.images import is_image_format
from medialib.services import asset_custom_metadata_edit
from medialib.ui import selectors as ui_selectors
from medialib.ui.links import asset_links, version_preview_url
from medialib.ui.metadata import error_for_form, metadata_form, metadata_values

VIEW_MODES = ("grid", "list")
# Sent when a poll finds no run pending any more: the panel reloads itself once.
ASSET_CHANGED_EVENT = "asset-changed"


def ui_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """login_required that sends htmx requests to the login page as a full navigation.

    A plain redirect would swap the login page into the fragment's target. A
    signed-in user without the library's role (staff or medialib.use_library) gets 403.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            if not user_may_use_library(request.user):
                return HttpResponseForbidden(
                    "Your account may not use the media library; ask an administrator "
                    'to add you to the "Library users" group.',
                    content_type="text/plain",
                )
            return view(request, *args, **kwargs)
        if request.htmx:
            return HttpResponseClientRedirect(f"{reverse(settings.LOGIN_URL)}?next=/")
        return redirect_to_login(request.get_full_path())

    return wrapper


def _filters_from(request: HttpRequest) -> ui_selectors.LibraryFilters:
    search_in = request.GET.get("in", "all")
    file_type = request.GET.get("type", "")
    return ui_selectors.LibraryFilters(
        folder=ui_selectors.folder_by_path(path=request.GET.get("folder", "/")),
        query=request.GET.get("q", "").strip(),
        search_in=search_in if search_in in ui_selectors.SEARCH_FIELDS else "all",
        file_type=file_type if file_type in ui_selectors.FILE_TYPES else "",
    )


@require_GET
@ui_login_required
def library(request: HttpRequest) -> HttpResponse:
    """The library page; with htmx, only the results (a search) or the next page of cards."""
    try:
        filters = _filters_from(request)
    except NotFound as error:
        raise Http404(error.message) from error
    except BadRequest as error:
        return HttpResponseBadRequest(error.message)
    search_error = ""
    try:
        page = ui_selectors.library_page(
            filters=filters, cursor=request.GET.get("cursor"), limit=_page_size(request)
        )
    except BadRequest as error:
        # A searchQuery the user typed is answered in the page; a bad cursor is a 400.
        if filters.search_in != "query" or request.GET.get("cursor"):
            return HttpResponseBadRequest(error.message)
        search_error = error.message
        page = ui_selectors.LibraryPage(cards=[], next_cursor=None)
    view_mode = request.GET.get("view", "grid")
    context = {
        "search_error": search_error,
        "filters": filters,
        "page": page,
        "cards": _cards_with_links(page.cards, request),
        "view_mode": view_mode if view_mode in VIEW_MODES else "grid",
        "next_url": _next_page_url(request, page.next_cursor),
        "folder_path": filters.folder.path if filters.folder else "/",
    }
    if request.htmx and request.GET.get("cursor"):
        return render(request, "medialib/_cards.html", context)
    if request.htmx and request.htmx.target == "results":
        return render(request, "medialib/_results.html", context)
    context |= {
        "tree": ui_selectors.folder_tree(current=filters.folder),
        "crumbs": ui_selectors.breadcrumbs(folder=filters.folder),
        "max_upload_bytes": settings.MEDIALIB_MAX_UPLOAD_BYTES,
        **_extension_choices(),
    }
    return render(request, "medialib/library.html", context)


def _page_size(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("limit", ui_selectors.PAGE_SIZE))
    except ValueError:
        return ui_selectors.PAGE_SIZE


def _next_page_url(request: HttpRequest, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    params = request.GET.copy()
    params["cursor"] = cursor
    return f"{reverse('library')}?{params.urlencode()}"


def _cards_with_links(
    cards: list[ui_selectors.AssetCard], request: HttpRequest
) -> list[tuple[ui_selectors.AssetCard, dict[str, str]]]:
    return [(card, asset_links(asset=card.asset, request=request)) for card in cards]


@require_GET
@ui_login_required
def asset_panel(request: HttpRequest, file_id: str) -> HttpResponse:
    """An asset's panel: a fragment for the library's side panel, or a page of its own."""
    panel = _panel_or_404(file_id)
    context = _panel_context(panel, request)
    if request.htmx:
        return render(request, "medialib/_panel.html", context | {"refresh_card": True})
    return render(request, "medialib/asset.html", context)


@require_POST
@ui_login_required
def asset_metadata(request: HttpRequest, file_id: str) -> HttpResponse:
    """Save the panel's custom metadata form; answers JSON as the API does.

    An error is a 400 with the field's label in the message and its name in `field`,
    and nothing is saved.
    """
    if not request.user.has_perm("medialib.change_asset"):
        return JsonResponse({"message": "You may not change files."}, status=403)
    try:
        asset = ui_selectors.asset_for_display(file_id=file_id)
    except NotFound as error:
        return JsonResponse({"message": error.message}, status=404)
    form = metadata_form(asset=asset)
    try:
        values = metadata_values(data=request.POST, asset=asset, form=form)
        asset = asset_custom_metadata_edit(asset=asset, values=values)
    except BadRequest as error:
        message, field = error_for_form(error.message, form)
        return JsonResponse({"message": message, "field": field}, status=400)
    return JsonResponse({"customMetadata": asset.custom_metadata})


@require_GET
@ui_login_required
def asset_card(request: HttpRequest, file_id: str) -> HttpResponse:
    """One card of the grid; a card with a pending run polls this until none is."""
    try:
        asset = ui_selectors.asset_for_display(file_id=file_id)
    except NotFound as error:
        raise Http404(error.message) from error
    return render(
        request,
        "medialib/_asset_card.html",
        {
            "card": ui_selectors.asset_card(asset=asset),
            "links": asset_links(asset=asset, request=request),
        },
    )


@require_GET
@ui_login_required
def asset_runs(request: HttpRequest, file_id: str) -> HttpResponse:
    """The extension runs of an asset; polled by the panel while any is pending.

    When none is pending any more, the response asks the panel to reload, so the
    new AI tags, versions and preview appear.
    """
    try:
        state = ui_selectors.asset_runs(file_id=file_id)
    except NotFound as error:
        raise Http404(error.message) from error
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(
            {
                "runs": [
                    {"name": run.name, "status": run.status, "message": run.error_message}
                    for run in state.runs
                ]
            }
        )
    response = render(
        request,
        "medialib/_runs.html",
        {"runs": state.runs, "asset": state.asset, "polling": state.has_pending_runs},
    )
    if not state.has_pending_runs:
        trigger_client_event(response, ASSET_CHANGED_EVENT)
    return response


@require_GET
@ui_login_required
def asset_version_content(request: HttpRequest, file_id: str, version_id: str) -> HttpResponse:
    """The stored bytes of any version of a file, for signed-in users only.

    A version's bytes never change, so browsers may keep them; the policy
    header stops an uploaded SVG or HTML file from running scripts here.
    """
    try:
        version = ui_selectors.asset_version(file_id=file_id, version_id=version_id)
    except NotFound as error:
        raise Http404(error.message) from error
    if storage.is_local():
        response: HttpResponse = FileResponse(
            storage.open_version(version), content_type=version.mime or "application/octet-stream"
        )
    else:
        response = HttpResponseRedirect(
            storage.url_for_key(
                version.storage_key,
                content_type=version.mime,
                attachment=not is_image_format(version.format),
            )
        )
    response["Cache-Control"] = "private, max-age=86400, immutable"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response


def _panel_or_404(file_id: str) -> ui_selectors.AssetPanel:
    try:
        return ui_selectors.asset_panel(file_id=file_id)
    except NotFound as error:
        raise Http404(error.message) from error


def _panel_context(panel: ui_selectors.AssetPanel, request: HttpRequest) -> dict[str, Any]:
    asset = panel.asset
    return {
        "panel": panel,
        "asset": asset,
        "runs": panel.runs,
        "links": asset_links(asset=asset, request=request),
        "versions": [
            {
                "row": row,
                "preview": version_preview_url(asset=asset, version=row.version),
                "before_preview": row.before
                and version_preview_url(asset=asset, version=row.before),
            }
            for row in panel.versions
        ],
        "card": ui_selectors.asset_card(asset=asset),
        "metadata": metadata_form(asset=asset),
        "polling": panel.has_pending_runs,
        **_extension_choices(),
    }


def _extension_choices() -> dict[str, Any]:
    """The extensions the upload dialog and the panel offer.

    ImageKit's names only: where no account is configured, they are served offline anyway.
    """
    return {
        "auto_tagging_extensions": registry.extensions_of_kind(
            registry.AUTO_TAGGING, imagekit_only=True
        ),
        "background_removal": registry.default_extension(registry.REMOVE_BG),
    }
