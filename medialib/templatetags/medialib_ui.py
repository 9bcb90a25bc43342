"""Template helpers of the browser UI."""

from __future__ import annotations

from django import template
from django.utils.html import json_script
from django.utils.safestring import SafeString

from extensions import registry
from extensions.selectors import unit_balance as units_left

register = template.Library()


@register.filter
def extension_short_label(name: str) -> str:
    """An extension's label in a badge: "google-auto-tagging" -> "Google tags"."""
    extension = registry.extension_get(name)
    return extension.short_label if extension else name


@register.simple_tag
def extension_short_labels_script() -> SafeString:
    """Every extension's badge label, as JSON for the page's script (#extension-labels)."""
    labels = {name: extension.short_label for name, extension in registry.EXTENSIONS.items()}
    return json_script(labels, "extension-labels")


@register.simple_tag
def unit_balance() -> int:
    return units_left()
