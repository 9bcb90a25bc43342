"""Authentication of the ImageKit-compatible API.

`ApiKeyAuthentication`: HTTP Basic with the private key as the user name; the
password is ignored (ImageKit's SDKs send "do_not_set"). Session users of the
UI authenticate with DRF's `SessionAuthentication` after it.
`UploadSignatureAuthentication`: ImageKit's client-side uploads (`publicKey`,
`signature`, `expire`, `token` form fields), used by the upload view only;
`UploadJwtAuthentication`: upload v2's client-side `token`, a JWT over the parameters.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions as drf_exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

if TYPE_CHECKING:
    from medialib.models import ApiKey

INVALID_KEY_MESSAGE = "Your account cannot be authenticated."


class ApiKeyUser:
    """The principal of a request authenticated by an API key.

    `owner` is the user who created the key (may be None); use
    `acting_user(request)` for `created_by`-style foreign keys.
    """

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, api_key: ApiKey, *, via_signature: bool = False) -> None:
        self.api_key = api_key
        self.owner = api_key.created_by
        # A client-side upload: an untrusted browser holding one signature, not the
        # key's owner (medialib.services.client_upload_check bounds what it may ask).
        self.via_signature = via_signature

    def __str__(self) -> str:
        if self.via_signature:
            return f"client-side upload via key {self.api_key.name}"
        return f"API key {self.api_key.name}"

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return False


def acting_user(request: Request) -> AbstractBaseUser | None:
    """The Django user to record as the author of a change made by `request`.

    None for a client-side upload: see `change_origin_detail` for what records it.
    """
    user = getattr(request, "user", None)
    if isinstance(user, ApiKeyUser):
        # A page visitor's upload is not the key owner's doing.
        return None if user.via_signature else user.owner
    if user is not None and user.is_authenticated:
        return user
    return None


def change_origin_detail(request: Request) -> str:
    """How a change came about, when no user made it: "client-side upload via key X"."""
    user = getattr(request, "user", None)
    if isinstance(user, ApiKeyUser) and user.via_signature:
        return str(user)[:255]
    return ""


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[ApiKeyUser, ApiKey] | None:
        """Return (user, key) for a valid Basic header, None without one; raise if invalid."""
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != b"basic":
            return None
        if len(header) != 2:
            raise drf_exceptions.AuthenticationFailed(INVALID_KEY_MESSAGE)
        try:
            decoded = base64.b64decode(header[1], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise drf_exceptions.AuthenticationFailed(INVALID_KEY_MESSAGE) from None
        # Imported here: DRF imports this module while core.exceptions is loading.
        from medialib import services

        private_key = decoded.partition(":")[0]
        api_key = services.api_key_for_private_key(private_key=private_key)
        if api_key is None:
            raise drf_exceptions.AuthenticationFailed(INVALID_KEY_MESSAGE)
        services.api_key_touch(api_key=api_key)
        return ApiKeyUser(api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        return 'Basic realm="api"'


class UploadSignatureAuthentication(BaseAuthentication):
    """Client-side upload: the form carries `publicKey`, `signature`, `expire`, `token`.

    The token is recorded as used as soon as the signature checks out, so it
    is spent even when the upload then fails validation.
    """

    def authenticate(self, request: Request) -> tuple[ApiKeyUser, ApiKey] | None:
        """Return (user, key) for a valid signature, None without `publicKey`; raise if invalid."""
        if get_authorization_header(request):
            return None
        data = request.data
        public_key = data.get("publicKey")
        if not public_key:
            return None
        from core.exceptions import ApplicationError
        from medialib import services

        try:
            api_key = services.upload_signature_verify(
                public_key=str(public_key),
                signature=str(data.get("signature") or ""),
                expire=str(data.get("expire") or ""),
                token=str(data.get("token") or ""),
            )
        except ApplicationError as error:
            # DRF marks the request unauthenticated only for its own exception type.
            raise _as_drf_exception(error) from error
        return ApiKeyUser(api_key, via_signature=True), api_key


class UploadJwtAuthentication(BaseAuthentication):
    """Client-side upload v2: the form's `token` is a JWT covering every upload parameter."""

    # Not upload parameters: the file itself and the token.
    UNSIGNED_FIELDS = frozenset({"file", "token"})

    def authenticate(self, request: Request) -> tuple[ApiKeyUser, ApiKey] | None:
        """Return (user, key) for a valid token, None without one; raise if invalid."""
        if get_authorization_header(request):
            return None
        data = request.data
        token = data.get("token")
        if not token:
            return None
        from core.exceptions import ApplicationError
        from medialib import services

        params = {
            name: str(data.get(name))
            for name in data.keys()  # noqa: SIM118 (a QueryDict: one value per name)
            if name not in self.UNSIGNED_FIELDS
        }
        try:
            api_key = services.upload_jwt_verify(token=str(token), params=params)
        except ApplicationError as error:
            raise _as_drf_exception(error) from error
        return ApiKeyUser(api_key), api_key


def _as_drf_exception(error: Exception) -> drf_exceptions.APIException:
    exception = drf_exceptions.APIException(str(error))
    exception.status_code = error.status_code
    return exception


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "privateKey"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "basic",
            "description": "The private API key as the user name; the password is ignored.",
        }


class UploadSignatureAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = UploadSignatureAuthentication
    name = "uploadSignature"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "query",
            "name": "publicKey",
            "description": "Client-side upload: the form fields publicKey, signature "
            "(hex HMAC-SHA1 of token + expire with the private key), expire and token.",
        }


class UploadJwtAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = UploadJwtAuthentication
    name = "uploadToken"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "query",
            "name": "token",
            "description": "Client-side upload v2: the form field token, an HS256 JWT signed "
            "with the private key (kid: the public key) carrying iat, exp and every "
            "upload parameter sent.",
        }
