"""Template helpers of the browser UI."""

from __future__ import annotations

from django import template

from extensions.selectors import unit_balance as units_left

register = template.Library()

EXTENSION_LABELS = {
    "google-auto-tagging": "Google tags",
    "aws-auto-tagging": "AWS tags",
    "remove-bg": "Remove BG",
}


@register.filter
def extension_label(name: str) -> str:
    """A short name for an extension: "google-auto-tagging" -> "Google tags"."""
    return EXTENSION_LABELS.get(name, name)


@register.simple_tag
def unit_balance() -> int:
    return units_left()
