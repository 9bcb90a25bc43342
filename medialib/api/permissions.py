"""Who may call what on the files API: API key scopes and the roles of signed-in users.

- An API key has a scope: `read` (GET only), `upload` (the upload endpoint only)
  or `full`. A client-side upload signature is only good for uploading, so its
  key needs the `upload` or `full` scope.
- A signed-in user needs the library (staff, or `medialib.use_library`, which the
  "Library users" group gives) and, for writes, the model permission the
  operation needs (a view's `required_permissions` per method, else
  change_asset for POST/PUT/PATCH and delete_asset for DELETE), the same
  permissions the admin checks. Running an extension needs `medialib.run_extensions`.

A refusal is a 403 with ImageKit's JSON error shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from medialib.api.auth import ApiKeyUser

# core.exceptions and the models are imported inside the functions: DRF imports
# this module (a default permission class) while core.exceptions is loading.

USE_LIBRARY = "medialib.use_library"
RUN_EXTENSIONS = "medialib.run_extensions"
DEFAULT_WRITE_PERMISSIONS = {
    "POST": ("medialib.change_asset",),
    "PUT": ("medialib.change_asset",),
    "PATCH": ("medialib.change_asset",),
    "DELETE": ("medialib.delete_asset",),
}


def user_may_use_library(user: Any) -> bool:
    """True if a signed-in user may see the library (staff or use_library)."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_staff or user.has_perm(USE_LIBRARY))
    )


class LibraryAccess(BasePermission):
    """Key scopes for API keys, roles for signed-in users; raises Forbidden (403)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        """True if the caller may make this request; False if unauthenticated (a 401)."""
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        if isinstance(user, ApiKeyUser):
            _check_scope(user, request, view)
        else:
            _check_role(user, request, view)
        return True


def _check_scope(user: ApiKeyUser, request: Request, view: Any) -> None:
    from core.exceptions import Forbidden
    from medialib.models import ApiKey

    scope = user.api_key.scope
    is_upload = getattr(view, "is_upload_endpoint", False)
    if user.via_signature:
        if not is_upload or scope == ApiKey.Scope.READ:
            raise Forbidden("This key's upload signatures may not upload: its scope is read.")
        return
    if scope == ApiKey.Scope.FULL:
        return
    if scope == ApiKey.Scope.READ and request.method in SAFE_METHODS:
        return
    if scope == ApiKey.Scope.UPLOAD and is_upload:
        return
    allowed = "GET requests" if scope == ApiKey.Scope.READ else "uploads"
    raise Forbidden(
        f"This API key has the {scope} scope: it may make {allowed} only. "
        "Use a key with the full scope."
    )


def _check_role(user: Any, request: Request, view: Any) -> None:
    from core.exceptions import Forbidden

    if not user_may_use_library(user):
        raise Forbidden(
            "Your account may not use the media library; ask an administrator to add "
            'you to the "Library users" group.'
        )
    if request.method in SAFE_METHODS:
        return
    required: Sequence[str] = getattr(view, "required_permissions", {}).get(
        request.method, DEFAULT_WRITE_PERMISSIONS.get(request.method, ())
    )
    missing = [perm for perm in required if not user.has_perm(perm)]
    if missing:
        raise Forbidden(f"Your account lacks the permission {', '.join(missing)} for this.")


def check_may_run_extensions(request: Request, requests: Sequence[object]) -> None:
    """Raise Forbidden if `request` asks for extensions its user may not run.

    API keys (full or upload scope) may; a client-side upload is judged by its own
    policy (medialib.services.client_upload_check).
    """
    from core.exceptions import Forbidden

    user = request.user
    if not requests or isinstance(user, ApiKeyUser):
        return
    if not user.has_perm(RUN_EXTENSIONS):
        raise Forbidden(f"Running extensions needs the permission {RUN_EXTENSIONS}.")
