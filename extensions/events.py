"""What the extensions app announces (see core.events)."""

from __future__ import annotations

from dataclasses import dataclass

from extensions.models import ExtensionRun


@dataclass(frozen=True)
class ExtensionRunFinished:
    """A run ended (`success` or `failed`), announced in the transaction that recorded it.

    On success its result (AI tags or a new version) is already written.
    """

    run: ExtensionRun
