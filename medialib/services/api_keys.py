"""API keys and client-side upload signatures: issuing, deriving, revoking, verifying."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from core.exceptions import BadRequest, NotAuthenticated
from medialib import selectors
from medialib.models import (
    ApiKey,
    UploadToken,
)
from medialib.services import rules

API_KEY_PREFIX_LENGTH = 10
API_KEY_TOUCH_INTERVAL = timedelta(minutes=1)
UPLOAD_SIGNATURE_MAX_AHEAD = timedelta(hours=1)
# "private_<prefix>_<secret>": far below this; longer is no key of ours.
MAX_KEY_LENGTH = 256


def hash_api_key_secret(secret: str) -> str:
    # The secret is 256 random bits, so a fast hash cannot be brute-forced.
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedApiKey:
    api_key: ApiKey
    private_key: str


def _derive_api_key_secret(*, prefix: str, salt: str) -> str:
    digest = salted_hmac(
        "medialib.ApiKey.secret",
        f"{prefix}:{salt}",
        secret=settings.MEDIALIB_API_KEY_SECRET,
        algorithm="sha256",
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def api_key_create(
    *, name: str, created_by: AbstractBaseUser | None = None, scope: str = ApiKey.Scope.FULL
) -> IssuedApiKey:
    """Create a key; the private key is returned here once and never stored.

    Why derivable: ImageKit's client-side uploads are signed with
    HMAC-SHA1(private key, token + expire), so checking a signature needs the
    private key itself, not a hash of it. Rather than keep the key (or keep it
    encrypted with a key that would sit beside it), the secret part is derived:
    HMAC-SHA256(settings.MEDIALIB_API_KEY_SECRET, prefix + random salt). The
    database holds only the salt and a SHA-256 of the secret, which are useless
    without the setting; the setting alone is useless without the salts. The
    Basic-auth check compares against the stored hash, so a changed setting is
    noticed (signatures of older keys then fail) instead of silently accepting
    other keys. `scope` (read, upload, full) bounds what the key may call.
    """
    if scope not in ApiKey.Scope.values:
        raise BadRequest(f"The scope must be one of {', '.join(ApiKey.Scope.values)}.")
    prefix = secrets.token_hex(API_KEY_PREFIX_LENGTH // 2)
    salt = secrets.token_urlsafe(32)
    secret = _derive_api_key_secret(prefix=prefix, salt=salt)
    api_key = ApiKey.objects.create(
        name=name,
        prefix=prefix,
        secret_hash=hash_api_key_secret(secret),
        derivation_salt=salt,
        public_key=f"public_{secrets.token_urlsafe(18)}",
        created_by=created_by,
        scope=scope,
    )
    return IssuedApiKey(api_key=api_key, private_key=f"private_{prefix}_{secret}")


def api_key_for_private_key(*, private_key: str) -> ApiKey | None:
    """The active key whose private key this is, or None."""
    # NUL or an absurd length can match no key (and PostgreSQL refuses NUL in a query).
    if not rules.text_is_storable(private_key, max_chars=MAX_KEY_LENGTH):
        return None
    marker, _, rest = private_key.partition("_")
    prefix, _, secret = rest.partition("_")
    if marker != "private" or not prefix or not secret:
        return None
    api_key = selectors.api_key_with_creator(prefix=prefix)
    if api_key is None or not api_key.is_active:
        return None
    if not hmac.compare_digest(hash_api_key_secret(secret), api_key.secret_hash):
        return None
    return api_key


def api_key_private_key(*, api_key: ApiKey) -> str | None:
    """The key's private key, or None if it cannot be derived any more."""
    if not api_key.derivation_salt:
        return None
    secret = _derive_api_key_secret(prefix=api_key.prefix, salt=api_key.derivation_salt)
    if not hmac.compare_digest(hash_api_key_secret(secret), api_key.secret_hash):
        return None
    return f"private_{api_key.prefix}_{secret}"


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke the key (idempotent: an already revoked key keeps its revocation time)."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_key.refresh_from_db(fields=["revoked_at"])
    return api_key


def api_keys_revoke_for_user(*, user: AbstractBaseUser) -> int:
    """Revoke every active key `user` created (they lost access: their keys do too)."""
    return ApiKey.objects.filter(created_by=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def api_key_touch(*, api_key: ApiKey) -> None:
    """Record use, writing at most once per API_KEY_TOUCH_INTERVAL per key."""
    now = timezone.now()
    threshold = now - API_KEY_TOUCH_INTERVAL
    if api_key.last_used_at is not None and api_key.last_used_at >= threshold:
        return
    ApiKey.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=threshold), pk=api_key.pk
    ).update(last_used_at=now)
    api_key.last_used_at = now


def upload_signature(*, private_key: str, token: str, expire: int | str) -> str:
    """ImageKit's client-side upload signature: hex HMAC-SHA1(private key, token + expire)."""
    message = f"{token}{expire}".encode()
    return hmac.new(private_key.encode(), message, hashlib.sha1).hexdigest()


def upload_signature_verify(*, public_key: str, signature: str, expire: str, token: str) -> ApiKey:
    """Check a client-side upload signature and spend its token; return the key.

    Raises NotAuthenticated (unknown key, bad signature) or BadRequest (expire
    missing, past or more than an hour ahead; token missing or used before).
    """
    public_key_field = ApiKey._meta.get_field("public_key")
    api_key = None
    if rules.text_is_storable(public_key, max_chars=public_key_field.max_length):
        api_key = ApiKey.objects.filter(public_key=public_key, revoked_at__isnull=True).first()
    if api_key is None:
        raise NotAuthenticated("Your account cannot be authenticated.")
    if not token or not signature or not expire:
        raise BadRequest("Client-side uploads need signature, expire and token.")
    if rules.NUL in token:
        raise BadRequest("The token must not contain NUL characters.")
    if len(token) > UploadToken._meta.get_field("token").max_length:
        raise BadRequest("The token is too long.")
    try:
        expire_at = datetime.fromtimestamp(int(expire), tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise BadRequest("The expire parameter must be a Unix time in seconds.") from None
    now = timezone.now()
    if expire_at <= now:
        raise BadRequest("The expire parameter is in the past: the signature has expired.")
    if expire_at > now + UPLOAD_SIGNATURE_MAX_AHEAD:
        raise BadRequest("The expire parameter must be at most one hour in the future.")
    private_key = api_key_private_key(api_key=api_key)
    if private_key is None or not hmac.compare_digest(
        upload_signature(private_key=private_key, token=token, expire=expire), signature.lower()
    ):
        raise NotAuthenticated("The signature is not valid for this publicKey.")
    try:
        with transaction.atomic():
            UploadToken.objects.create(token=token, api_key=api_key, expire=expire_at)
    except IntegrityError:
        raise BadRequest("The token has been used before; a token can be used once.") from None
    api_key_touch(api_key=api_key)
    return api_key


# Claims of an upload v2 token that are the JWT's own, not upload parameters.
UPLOAD_JWT_OWN_CLAIMS = frozenset({"iat", "exp", "nbf", "jti", "iss", "aud", "sub"})


def upload_jwt_verify(*, token: str, params: Mapping[str, str]) -> ApiKey:
    """Check a client-side upload v2 `token` against the request's parameters; spend it.

    The token is an HS256 JWT signed with the private key, its header's `kid` the public
    key, carrying `iat`, `exp` (at most an hour later) and every upload parameter sent
    (`params`: the form fields but `file` and `token`), with the values sent. A parameter
    the token does not carry, or carries with another value, is refused, as is a claim the
    request does not send. The token is spent once its signature checks out.
    Raises NotAuthenticated (unknown key, bad signature) or BadRequest.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise NotAuthenticated("The token is not a valid JWT.") from None
    public_key = header.get("kid")
    if not isinstance(public_key, str) or not public_key:
        raise NotAuthenticated("The token's header must name your public key as kid.")
    api_key = ApiKey.objects.filter(public_key=public_key, revoked_at__isnull=True).first()
    private_key = api_key and api_key_private_key(api_key=api_key)
    if not private_key:
        raise NotAuthenticated("Your account cannot be authenticated.")
    try:
        claims = jwt.decode(
            token,
            private_key,
            algorithms=["HS256"],
            options={"require": ["exp", "iat"], "verify_aud": False, "verify_iss": False},
        )
    except jwt.ExpiredSignatureError:
        raise BadRequest("The token has expired.") from None
    except jwt.MissingRequiredClaimError as error:
        raise BadRequest(f"The token must carry the {error.claim} claim.") from None
    except jwt.InvalidSignatureError:
        raise NotAuthenticated("The token's signature is not valid for this public key.") from None
    except jwt.InvalidTokenError as error:
        raise BadRequest(f"The token is not valid: {error}.") from None
    issued, expires = claims["iat"], claims["exp"]
    if not isinstance(issued, int | float) or not isinstance(expires, int | float):
        raise BadRequest("The token's iat and exp must be Unix times in seconds.")
    if expires - issued > UPLOAD_SIGNATURE_MAX_AHEAD.total_seconds():
        raise BadRequest("The token must expire at most one hour after it was issued.")
    digest = "jwt:" + hashlib.sha256(token.encode()).hexdigest()
    try:
        with transaction.atomic():
            UploadToken.objects.create(
                token=digest, api_key=api_key, expire=datetime.fromtimestamp(expires, tz=UTC)
            )
    except IntegrityError:
        raise BadRequest("The token has been used before; a token can be used once.") from None
    api_key_touch(api_key=api_key)
    carried = {name: value for name, value in claims.items() if name not in UPLOAD_JWT_OWN_CLAIMS}
    for name in sorted(params):
        if name not in carried:
            raise BadRequest(
                f"{name} is not covered by the token: the token must carry every "
                "upload parameter sent.",
                field=name,
            )
        if not _claim_matches(carried[name], params[name]):
            raise BadRequest(f"{name} differs from the value the token carries.", field=name)
    missing = sorted(set(carried) - set(params))
    if missing:
        raise BadRequest(
            f"The token carries {missing[0]}, which the request does not send.", field=missing[0]
        )
    return api_key


def _claim_matches(claim: object, sent: str) -> bool:
    """Whether a form value is the one a claim carries (claims may be typed JSON)."""
    if isinstance(claim, str):
        return claim == sent
    if isinstance(claim, bool):
        return sent == ("true" if claim else "false")
    # tags and responseFields travel comma-separated.
    is_names = isinstance(claim, list) and all(isinstance(item, str) for item in claim)
    if is_names and ",".join(claim) == sent:
        return True
    try:
        return json.loads(sent) == claim
    except ValueError:
        return False


def upload_tokens_purge() -> int:
    """Delete used tokens whose expiry has passed; they cannot be replayed any more."""
    deleted, _ = UploadToken.objects.filter(expire__lt=timezone.now()).delete()
    return deleted
