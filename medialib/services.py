"""Writes of the media library: the only place with its business rules."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from medialib.models import ApiKey

API_KEY_PREFIX_LENGTH = 10


def hash_api_key_secret(secret: str) -> str:
    # The secret is 256 random bits, so a fast hash cannot be brute-forced.
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedApiKey:
    api_key: ApiKey
    private_key: str


def api_key_create(*, name: str, created_by: AbstractBaseUser | None = None) -> IssuedApiKey:
    """Create a key; the private key is returned here once and never stored."""
    prefix = secrets.token_hex(API_KEY_PREFIX_LENGTH // 2)
    secret = secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        name=name,
        prefix=prefix,
        secret_hash=hash_api_key_secret(secret),
        public_key=f"public_{secrets.token_urlsafe(18)}",
        created_by=created_by,
    )
    return IssuedApiKey(api_key=api_key, private_key=f"private_{prefix}_{secret}")
