"""The admin's asset list rows, formatted by AssetChangeList instead of cell by cell."""

from __future__ import annotations

from django import template
from django.contrib.admin.templatetags.admin_list import result_headers
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.contrib.admin.views.main import ChangeList
from django.utils.safestring import mark_safe

register = template.Library()


def asset_result_list(cl: ChangeList) -> dict:
    """Django's result_list context (no list_editable here), the rows from `cl.result_rows()`.

    Django's `items_for_result` looks each of the twelve columns up, inspects its
    field and formats it separately: about half of a page of 50 assets.
    """
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": [],
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        # A row's cells joined: the template writes one value per row, not twelve
        # (each through its variable resolution, localisation and escaping). The cells
        # are format_html's output, so their join is safe.
        "results": [[mark_safe("".join(cells))] for cells in cl.result_rows()],  # noqa: S308
    }


@register.tag(name="asset_result_list")
def asset_result_list_tag(
    parser: template.base.Parser, token: template.base.Token
) -> InclusionAdminNode:
    return InclusionAdminNode(
        parser,
        token,
        func=asset_result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )
