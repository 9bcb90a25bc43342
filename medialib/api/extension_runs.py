"""The extension runs an upload or a details update asks for, built from the request.

The library takes them as a ChangeHook, so it carries the runs without naming
an extension. The `extensions` and `webhookUrl` they are built from are clean
(medialib.api.serializers), so nothing is written for a request that breaks a rule.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest

from extensions.selectors import latest_extension_status
from extensions.services import ExtensionRequest, ExtensionRuns
from medialib import wire
from medialib.models import Asset


def extension_runs_requested(
    *,
    requests: list[ExtensionRequest],
    webhook_url: str,
    overwrite_ai_tags: bool = True,
    requested_by: AbstractBaseUser | None = None,
) -> ExtensionRuns | None:
    """The runs asked for, or None when the request sends no extension."""
    if not requests:
        return None
    return ExtensionRuns(
        requests=requests,
        webhook_url=webhook_url,
        overwrite_ai_tags=overwrite_ai_tags,
        requested_by=requested_by,
    )


def extension_status_of(runs: ExtensionRuns | None) -> dict[str, str] | None:
    """The response's `extensionStatus`: None (absent) when no extension was asked for."""
    return None if runs is None else dict(sorted(runs.extension_status().items()))


def file_details_with_status(*, asset: Asset, request: HttpRequest) -> dict[str, Any]:
    """The file object with the latest status of each extension run on the file."""
    return wire.file_details(
        asset=asset, request=request, extension_status=latest_extension_status(asset=asset)
    )
