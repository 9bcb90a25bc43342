"""The public extensions, their parameters, and the providers that can serve them.

Adding a provider is one module in `extensions/providers/` and one `Backend` line
below, named in the `backends` of the extensions it can serve. Provider modules are
imported only when a run needs them: a missing optional dependency or a module still
being written disables that backend instead of the whole app.
"""

from __future__ import annotations

import importlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from extensions.providers.base import ExtensionParamsError, Provider

logger = logging.getLogger(__name__)

AUTO_TAGGING = "auto-tagging"
REMOVE_BG = "remove-bg"

# Tried in the request within EXTENSIONS_SYNC_BUDGET, then on a worker.
SYNC_FIRST = "sync-first"
# Always on a worker.
ASYNC = "async"

# Network-bound calls (thread pools, high concurrency) and CPU-bound offline models
# (one process per core) never wait behind each other.
QUEUE_IO = "providers-io"
QUEUE_CPU = "providers-cpu"

MAX_TAGS_LIMIT = 30


@dataclass(frozen=True)
class Backend:
    """A provider class, by dotted path, and the queue its calls run on."""

    path: str
    queue: str

    def provider_class(self) -> type[Provider]:
        module_name, class_name = self.path.rsplit(".", 1)
        return getattr(importlib.import_module(module_name), class_name)

    def load(self) -> Provider | None:
        """Return a provider instance, or None when its module cannot be imported."""
        try:
            return self.provider_class()()
        except (ImportError, AttributeError):
            logger.warning("Extension provider %s is not available", self.path, exc_info=True)
            return None


GOOGLE_VISION = Backend("extensions.providers.google_vision.GoogleVisionProvider", QUEUE_IO)
AWS_REKOGNITION = Backend("extensions.providers.aws_rekognition.RekognitionProvider", QUEUE_IO)
REMOVE_BG_API = Backend("extensions.providers.removebg.RemoveBgProvider", QUEUE_IO)
LOCAL_TAGGER = Backend("extensions.providers.local_tagging.LocalAutoTagger", QUEUE_CPU)
LOCAL_REMOVER = Backend("extensions.providers.local_remove_bg.LocalBackgroundRemover", QUEUE_CPU)


def _number(item: dict[str, Any], key: str, *, low: float, high: float) -> float | int:
    value = item.get(key)
    if value is None:
        raise ExtensionParamsError(f"{key} is required", field=key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ExtensionParamsError(f"{key} must be a number", field=key)
    if not low <= value <= high:
        raise ExtensionParamsError(f"{key} must be between {low:g} and {high:g}", field=key)
    return value


# The SDK's typed auto-tagging fields are snake_case, and its upload serialises
# `extensions` to a JSON string before renaming keys, so uploads send these spellings
# where updates send ImageKit's camelCase.
AUTO_TAGGING_ALIASES = {"max_tags": "maxTags", "min_confidence": "minConfidence"}


def _camel_case_keys(item: dict[str, Any], aliases: dict[str, str]) -> dict[str, Any]:
    """`item` with each alias renamed; an item giving both spellings must agree."""
    item = dict(item)
    for alias, key in aliases.items():
        if alias not in item:
            continue
        value = item.pop(alias)
        if key in item and item[key] != value:
            raise ExtensionParamsError(
                f"{key} and {alias} are the same parameter and differ; send one of them",
                field=key,
            )
        item.setdefault(key, value)
    return item


def validate_auto_tagging(item: dict[str, Any]) -> dict[str, Any]:
    """Return {"minConfidence", "maxTags"} of an auto-tagging item (either spelling)."""
    item = _camel_case_keys(item, AUTO_TAGGING_ALIASES)
    _refuse_unknown_keys(item, {"minConfidence", "maxTags"})
    min_confidence = _number(item, "minConfidence", low=0, high=100)
    # ImageKit documents maxTags 0-30; 0 keeps no tag.
    max_tags = _number(item, "maxTags", low=0, high=MAX_TAGS_LIMIT)
    if isinstance(max_tags, float):
        if not max_tags.is_integer():
            raise ExtensionParamsError("maxTags must be a whole number", field="maxTags")
        max_tags = int(max_tags)
    return {"minConfidence": min_confidence, "maxTags": max_tags}


def validate_remove_bg(item: dict[str, Any]) -> dict[str, Any]:
    """Return {"options": {...}} of a remove-bg item (options checked by the remove.bg module)."""
    _refuse_unknown_keys(item, {"options"})
    if "options" not in item or item["options"] is None:
        return {"options": {}}
    from extensions.providers.removebg import validate_options

    return {"options": validate_options(item["options"])}


def _refuse_unknown_keys(item: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(item) - allowed - {"name"})
    if unknown:
        raise ExtensionParamsError(
            f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})", field=unknown[0]
        )


@dataclass(frozen=True)
class Resolved:
    """The backend chosen for a run and its loaded provider."""

    backend: Backend
    provider: Provider


@dataclass(frozen=True)
class Extension:
    name: str
    # Shown to people where an extension is chosen: "Google Cloud Vision".
    label: str
    # Shown in status badges, where space is short: "Google tags".
    short_label: str
    kind: str
    mode: str
    validate: Callable[[dict[str, Any]], dict[str, Any]]
    # In order of preference: the first configured one serves the run.
    backends: tuple[Backend, ...]
    # Serves the name when no backend is configured and EXTENSIONS_OFFLINE_FALLBACK is on.
    fallback: Backend | None = None
    # False for this library's own names (local-*), which ImageKit's API does not have.
    imagekit: bool = True

    @property
    def units(self) -> int:
        return settings.EXTENSION_UNITS[self.name]

    def candidates(self) -> tuple[Backend, ...]:
        """Every backend that may serve this extension, including the fallback."""
        return self.backends + ((self.fallback,) if self.fallback else ())

    def resolve(self) -> Resolved | None:
        """Return the backend that serves this extension now, or None if none can."""
        choices = self.backends
        if self.fallback and settings.EXTENSIONS_OFFLINE_FALLBACK:
            choices += (self.fallback,)
        for backend in choices:
            provider = backend.load()
            if provider is not None and provider.is_configured():
                return Resolved(backend, provider)
        return None

    def backend_named(self, provider_name: str) -> Resolved | None:
        """Return the backend whose provider is called `provider_name` (as recorded on a run)."""
        for backend in self.candidates():
            provider = backend.load()
            if provider is not None and provider.name == provider_name:
                return Resolved(backend, provider)
        return None


def providers_warm_up() -> None:
    """Let every configured provider import its client library (see Provider.warm_up)."""
    backends = {backend for extension in EXTENSIONS.values() for backend in extension.backends}
    for backend in sorted(backends, key=lambda backend: backend.path):
        provider = backend.load()
        if provider is not None and provider.is_configured():
            provider.warm_up()


EXTENSIONS: dict[str, Extension] = {
    extension.name: extension
    for extension in [
        # The first ImageKit extension of each kind is the one offered first.
        Extension(
            "google-auto-tagging",
            "Google Cloud Vision",
            "Google tags",
            AUTO_TAGGING,
            SYNC_FIRST,
            validate_auto_tagging,
            backends=(GOOGLE_VISION,),
            fallback=LOCAL_TAGGER,
        ),
        Extension(
            "aws-auto-tagging",
            "AWS Rekognition",
            "AWS tags",
            AUTO_TAGGING,
            SYNC_FIRST,
            validate_auto_tagging,
            backends=(AWS_REKOGNITION,),
            fallback=LOCAL_TAGGER,
        ),
        Extension(
            "remove-bg",
            "remove.bg",
            "Remove BG",
            REMOVE_BG,
            ASYNC,
            validate_remove_bg,
            backends=(REMOVE_BG_API,),
            fallback=LOCAL_REMOVER,
        ),
        Extension(
            "local-auto-tagging",
            "Offline tagger",
            "Offline tags",
            AUTO_TAGGING,
            SYNC_FIRST,
            validate_auto_tagging,
            backends=(LOCAL_TAGGER,),
            imagekit=False,
        ),
        Extension(
            "local-remove-bg",
            "Offline background remover",
            "Offline remove BG",
            REMOVE_BG,
            ASYNC,
            validate_remove_bg,
            backends=(LOCAL_REMOVER,),
            imagekit=False,
        ),
    ]
}

# Names ImageKit's newer SDKs know that the self-hosted product does not offer (they need
# ImageKit's hosted language models): refused with a clear 400.
NOT_OFFERED = frozenset({"ai-auto-description", "ai-tasks"})


def extension_get(name: str) -> Extension | None:
    return EXTENSIONS.get(name)


def extensions_of_kind(kind: str, *, imagekit_only: bool = False) -> list[Extension]:
    """The extensions of `kind` (AUTO_TAGGING, REMOVE_BG), in the registry's order."""
    return [
        extension
        for extension in EXTENSIONS.values()
        if extension.kind == kind and (extension.imagekit or not imagekit_only)
    ]


def default_extension(kind: str) -> Extension:
    """The extension offered first for `kind`: ImageKit's first of that kind."""
    return extensions_of_kind(kind, imagekit_only=True)[0]
