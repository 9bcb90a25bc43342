"""The one small interface every extension provider implements.

A provider module defines one subclass of `Provider` and is listed in
`extensions.registry`. `run()` returns a result or raises `ProviderError`;
the run service (`extensions.services`) is the only caller, and owns
retries, units, tags and versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


class ExtensionParamsError(ValueError):
    """An extension item is invalid; `field` names the offending key."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ProviderError(Exception):
    """A provider call failed.

    `permanent=True` means retrying cannot help (bad credentials, an image the
    provider refuses); otherwise the run service retries with backoff, waiting
    at least `retry_after` seconds when the provider said so.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "provider_error",
        permanent: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.permanent = permanent
        self.retry_after = retry_after


@dataclass(frozen=True)
class Label:
    name: str
    confidence: float  # 0-100


@dataclass
class TaggingResult:
    labels: list[Label]


@dataclass
class ImageResult:
    content: bytes
    mime: str
    details: dict[str, Any] = field(default_factory=dict)


class Provider:
    """Base class of all providers.

    `name` is the backend's own name (`google-cloud-vision`, `local-auto-tagging`),
    `kind` says which public extensions it can serve (`auto-tagging` or
    `remove-bg`).
    """

    name: ClassVar[str]
    kind: ClassVar[str]
    label: ClassVar[str]  # shown to people: "Google Cloud Vision", "Offline tagger (MobileNetV2)"

    def is_configured(self) -> bool:
        """Return True when the provider has what it needs (credentials) to run."""
        return True

    def supports(self, mime: str) -> bool:
        """Return True when the provider can process a file of this MIME type."""
        return mime.startswith("image/")

    def run(self, image: bytes, mime: str, params: dict[str, Any]) -> TaggingResult | ImageResult:
        """Process `image` with validated `params`; raise ProviderError on failure."""
        raise NotImplementedError

    def warm_up(self) -> None:
        """Import what `run` imports lazily; called when a worker starts (not in the web).

        Otherwise the first runs of a new worker import the client library, one thread
        at a time under the import lock, while the other threads wait.
        """
