"""Writes of the extensions app, one module per topic; the names callers use are here.

- `validation`: the `extensions` parameter checked against the registry
- `units`: the balance, reservations, refunds, top-ups and their ledger
- `runs`: a run's life (created, started, executed, finished, retried, swept)
- `saved`: saved extensions (a named configuration run by id)
- `results`: a successful run's result written to the file (AI tags, a new version)
"""

from extensions.services.results import ai_tags_select, run_result_apply
from extensions.services.runs import (
    ExtensionRuns,
    extension_run_execute,
    extension_run_retry,
    extension_runs_create,
    extension_runs_insert,
    extension_runs_start,
    extensions_request,
    retry_delay,
    runs_sweep,
)
from extensions.services.saved import (
    saved_extension_create,
    saved_extension_delete,
    saved_extension_get,
    saved_extension_update,
)
from extensions.services.units import unit_account_topup
from extensions.services.validation import ExtensionRequest, clean_extensions

__all__ = [
    "ExtensionRequest",
    "ExtensionRuns",
    "ai_tags_select",
    "clean_extensions",
    "extension_run_execute",
    "extension_run_retry",
    "extension_runs_create",
    "extension_runs_insert",
    "extension_runs_start",
    "extensions_request",
    "retry_delay",
    "run_result_apply",
    "runs_sweep",
    "saved_extension_create",
    "saved_extension_delete",
    "saved_extension_get",
    "saved_extension_update",
    "unit_account_topup",
]
