"""Writes of the media library: the only place with its business rules."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import re
import secrets
import string
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac

from config.exceptions import BadRequest, Conflict, NotAuthenticated, NotFound
from medialib import images, selectors, storage
from medialib.models import (
    ApiKey,
    Asset,
    AssetTag,
    AssetVersion,
    Folder,
    Tag,
    UploadToken,
    generate_public_id,
)
from medialib.sources import Spooled, spool_source

API_KEY_PREFIX_LENGTH = 10
API_KEY_TOUCH_INTERVAL = timedelta(minutes=1)
UPLOAD_SIGNATURE_MAX_AHEAD = timedelta(hours=1)


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


def api_key_create(*, name: str, created_by: AbstractBaseUser | None = None) -> IssuedApiKey:
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
    other keys.
    """
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
    )
    return IssuedApiKey(api_key=api_key, private_key=f"private_{prefix}_{secret}")


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
    api_key = ApiKey.objects.filter(public_key=public_key, revoked_at__isnull=True).first()
    if api_key is None:
        raise NotAuthenticated("Your account cannot be authenticated.")
    if not token or not signature or not expire:
        raise BadRequest("Client-side uploads need signature, expire and token.")
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


def upload_tokens_purge() -> int:
    """Delete used tokens whose expiry has passed; they cannot be replayed any more."""
    deleted, _ = UploadToken.objects.filter(expire__lt=timezone.now()).delete()
    return deleted


# ---------------------------------------------------------------------------------
# Versions: copy, restore, delete, prune (owner: the medialib-api engineer).

MAX_VERSIONS_PER_FILE = 100


def version_copy(
    *,
    version: AssetVersion,
    to_asset: Asset,
    number: int,
    origin: str,
    written: list[str],
    version_id: str | None = None,
    created_by: AbstractBaseUser | None = None,
) -> AssetVersion:
    """A new version of `to_asset` holding copies of `version`'s stored object and thumbnail.

    It is not made current here. The keys written are appended to `written`, so a
    caller whose transaction fails can delete them again.
    """
    version_id = version_id or generate_public_id()
    name = version.name or to_asset.name
    with storage.open_key(version.storage_key) as source:
        key = storage.save(
            key=storage.version_key(file_id=to_asset.file_id, version_id=version_id, name=name),
            content=source,
        )
    written.append(key)
    thumbnail = ""
    if version.thumbnail_key:
        extension = version.thumbnail_key.rsplit(".", 1)[-1]
        with storage.open_key(version.thumbnail_key) as source:
            thumbnail = storage.save(
                key=storage.thumbnail_key(
                    file_id=to_asset.file_id, version_id=version_id, extension=extension
                ),
                content=source,
            )
        written.append(thumbnail)
    return AssetVersion.objects.create(
        version_id=version_id,
        asset=to_asset,
        number=number,
        name=name,
        storage_key=key,
        thumbnail_key=thumbnail,
        size=version.size,
        mime=version.mime,
        format=version.format,
        width=version.width,
        height=version.height,
        has_alpha=version.has_alpha,
        checksum=version.checksum,
        embedded_metadata=version.embedded_metadata,
        origin=origin,
        origin_detail=version.version_id,
        created_by=created_by,
    )


@contextmanager
def removing_written_on_error() -> Iterator[list[str]]:
    """A list collecting the stored keys a block writes, deleted again if the block raises.

    Enter it before `transaction.atomic()`, so the rollback comes first.
    """
    written: list[str] = []
    try:
        yield written
    except BaseException:
        storage.delete_now(written)
        raise


def asset_versions_prune(*, asset: Asset) -> int:
    """Keep at most MAX_VERSIONS_PER_FILE versions: delete the oldest non-current ones.

    Call inside the transaction that added a version. Pruning (rather than refusing
    the 101st version) keeps overwriting uploads and restores working forever.
    Returns how many were deleted; their stored objects go after the commit.
    """
    excess = asset.versions.count() - MAX_VERSIONS_PER_FILE
    if excess <= 0:
        return 0
    oldest = list(
        asset.versions.exclude(pk=asset.current_version_id).order_by("number")[:excess]
    )
    storage.delete_on_commit(key for v in oldest for key in (v.storage_key, v.thumbnail_key))
    AssetVersion.objects.filter(pk__in=[v.pk for v in oldest]).delete()
    return len(oldest)


def asset_version_restore(
    *, asset: Asset, version: AssetVersion, created_by: AbstractBaseUser | None = None
) -> AssetVersion:
    """Make a NEW current version copied from `version` (origin "restore").

    The stored object and thumbnail are copied, so deleting either version later
    leaves the other whole.
    """
    if version.asset_id != asset.pk:
        raise NotFound("The requested file version does not exist.")
    if version.pk == asset.current_version_id:
        raise BadRequest("This version is already the current version of the file.")
    with removing_written_on_error() as written, transaction.atomic():
        # The lock serialises version numbering with concurrent uploads and restores.
        locked = Asset.objects.select_for_update().get(pk=asset.pk)
        number = max(locked.versions.values_list("number", flat=True), default=0) + 1
        restored = version_copy(
            version=version,
            to_asset=locked,
            number=number,
            origin=AssetVersion.Origin.RESTORE,
            written=written,
            created_by=created_by,
        )
        locked.current_version = restored
        locked.file_type = file_type_of(restored)
        locked.save(update_fields=["current_version", "file_type", "updated_at"])
        asset_versions_prune(asset=locked)
    asset.refresh_from_db()
    return restored


def asset_version_delete(*, asset: Asset, version: AssetVersion) -> None:
    """Delete a non-current version; its stored objects go after the commit."""
    if version.asset_id != asset.pk:
        raise NotFound("The requested file version does not exist.")
    with transaction.atomic():
        locked = Asset.objects.select_for_update().get(pk=asset.pk)
        if version.pk == locked.current_version_id:
            raise BadRequest("The current version of a file cannot be deleted.")
        storage.delete_on_commit([version.storage_key, version.thumbnail_key])
        version.delete()


def file_type_of(version: AssetVersion) -> str:
    """The asset's `fileType` for a version: "image" for image MIME types."""
    return Asset.FileType.IMAGE if version.mime.startswith("image/") else Asset.FileType.NON_IMAGE


def assets_delete(*, assets: QuerySet[Asset]) -> int:
    """Delete assets with all their versions (rows now, stored objects after the commit).

    Call inside a transaction; returns how many assets were deleted.
    """
    keys = [
        key
        for pair in AssetVersion.objects.filter(asset__in=assets).values_list(
            "storage_key", "thumbnail_key"
        )
        for key in pair
    ]
    ids = list(assets.values_list("pk", flat=True))
    # current_version points back at the versions; clear it so the cascade has no cycle.
    Asset.objects.filter(pk__in=ids).update(current_version=None)
    Asset.objects.filter(pk__in=ids).delete()
    storage.delete_on_commit(keys)
    return len(ids)


# Files ---------------------------------------------------------------------------

MAX_FOLDER_DEPTH = 50
MAX_TAGS_LENGTH = 500
MAX_NAME_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 2048
MAX_CUSTOM_METADATA_BYTES = 64 * 1024
UNIQUE_SUFFIX_LENGTH = 9
_UNIQUE_ALPHABET = string.ascii_letters + string.digits
_DOTS = re.compile(r"\.{2,}")


class Unset:
    """The value of a field absent from a request (None may mean "clear it")."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = Unset()


def _is_name_character(character: str) -> bool:
    # Letters, marks and digits of any script, space, "." and "-" (ImageKit's rule).
    return character in " .-" or unicodedata.category(character)[0] in "LMN"


def sanitize_file_name(name: str) -> str:
    """ImageKit's file name rule; "..", slashes and control characters cannot survive it."""
    cleaned = "".join(c if _is_name_character(c) else "_" for c in name)
    cleaned = _DOTS.sub(".", cleaned).strip()
    if cleaned in ("", "."):
        raise BadRequest("fileName is empty, or has no usable character.")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise BadRequest(f"fileName is longer than {MAX_NAME_LENGTH} characters.")
    return cleaned


def normalize_folder(folder: str | None) -> str:
    """The folder as "/" or "/a/b" (no trailing slash); 400 for "..", "\\", control characters."""
    if not folder:
        return "/"
    if "\\" in folder:
        raise BadRequest("folder must not contain backslashes.")
    if any(unicodedata.category(c) == "Cc" for c in folder):
        raise BadRequest("folder must not contain control characters.")
    segments = [segment.strip() for segment in folder.split("/") if segment.strip()]
    if any(segment in (".", "..") for segment in segments):
        raise BadRequest('folder must not contain "." or ".." segments.')
    if len(segments) > MAX_FOLDER_DEPTH:
        raise BadRequest(f"folder is nested deeper than {MAX_FOLDER_DEPTH} levels.")
    segments = ["".join(c if _is_name_character(c) else "_" for c in s) for s in segments]
    if any(len(segment) > MAX_NAME_LENGTH for segment in segments):
        raise BadRequest(f"A folder name is longer than {MAX_NAME_LENGTH} characters.")
    path = "/" + "/".join(segments)
    if len(path) > Folder._meta.get_field("path").max_length:
        raise BadRequest("folder is too long.")
    return path


def parse_tags(value: str | list[str] | None, *, field: str = "tags") -> list[str] | None:
    """Tags from "a,b" or a list: trimmed, empties dropped, duplicates removed; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        raw_items = value.split(",")
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        raw_items = value
    else:
        raise BadRequest(f"{field} must be a comma-separated string or a list of strings.")
    if len(",".join(raw_items)) > MAX_TAGS_LENGTH:
        raise BadRequest(f"{field} is longer than {MAX_TAGS_LENGTH} characters.")
    tags: list[str] = []
    for item in raw_items:
        tag = item.strip()
        if any(unicodedata.category(c) == "Cc" for c in tag):
            raise BadRequest(f"{field} must not contain control characters.")
        if len(tag) > MAX_NAME_LENGTH:
            raise BadRequest(f"{field}: a tag is longer than {MAX_NAME_LENGTH} characters.")
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def validate_custom_coordinates(value: str | None) -> str:
    """The coordinates as "x,y,width,height" (non-negative integers), or "" for none."""
    if value is None or value.strip() == "":
        return ""
    parts = [part.strip() for part in value.split(",")]
    if len(parts) != 4 or not all(part.isascii() and part.isdigit() for part in parts):
        raise BadRequest(
            'customCoordinates must be "x,y,width,height" with non-negative integers, '
            'e.g. "10,10,100,100".'
        )
    return ",".join(str(int(part)) for part in parts)


def validate_custom_metadata(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest("customMetadata must be a JSON object.")
    encoded = json.dumps(value)
    if "\\u0000" in encoded:
        raise BadRequest("customMetadata must not contain NUL characters.")
    if len(encoded) > MAX_CUSTOM_METADATA_BYTES:
        raise BadRequest(f"customMetadata is larger than {MAX_CUSTOM_METADATA_BYTES} bytes.")
    return value


def validate_description(value: str | None) -> str:
    if value is None:
        return ""
    if "\x00" in value:
        raise BadRequest("description must not contain NUL characters.")
    if len(value) > MAX_DESCRIPTION_LENGTH:
        raise BadRequest(f"description is longer than {MAX_DESCRIPTION_LENGTH} characters.")
    return value


def unique_file_name(name: str) -> str:
    """`name` with ImageKit's random suffix before the extension: photo_Ab3dE5fGh.jpg."""
    stem, extension = os.path.splitext(name)
    suffix = "".join(secrets.choice(_UNIQUE_ALPHABET) for _ in range(UNIQUE_SUFFIX_LENGTH))
    return f"{stem}_{suffix}{extension}"


def join_file_path(folder_path: str, name: str) -> str:
    return f"{folder_path.rstrip('/')}/{name}"


def folder_ensure(*, path: str) -> Folder | None:
    """The folder at a normalised path, created with its parents; None for the root."""
    if path == "/":
        return None
    parent = None
    current = ""
    for segment in path.strip("/").split("/"):
        current = f"{current}/{segment}"
        parent, _ = Folder.objects.get_or_create(
            path=current, defaults={"name": segment, "parent": parent}
        )
    return parent


def asset_tags_set(*, asset: Asset, names: list[str]) -> None:
    """Replace the asset's tags with `names`, in that order."""
    AssetTag.objects.filter(asset=asset).delete()
    if not names:
        return
    Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
    tags = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    AssetTag.objects.bulk_create(
        [
            AssetTag(asset=asset, tag=tags[name], position=position)
            for position, name in enumerate(names)
        ]
    )


@dataclass
class PreparedContent:
    """Validated, inspected upload bytes, not stored yet."""

    spooled: Spooled
    inspection: images.Inspection

    def close(self) -> None:
        self.spooled.close()


def _content_prepare(*, source: File | IO[bytes] | bytes | str, name: str) -> PreparedContent:
    spooled = spool_source(source)
    try:
        inspection = images.inspect(spooled.file, name=name)
    except BaseException:
        spooled.close()
        raise
    return PreparedContent(spooled=spooled, inspection=inspection)


def _content_store(
    *, prepared: PreparedContent, file_id: str, version_id: str, name: str
) -> tuple[str, str]:
    """Store the bytes and the thumbnail; return (storage key, thumbnail key or "")."""
    key = storage.save(
        key=storage.version_key(file_id=file_id, version_id=version_id, name=name),
        content=prepared.spooled.file,
    )
    thumbnail = prepared.inspection.thumbnail
    if thumbnail is None:
        return key, ""
    try:
        thumbnail_key = storage.save(
            key=storage.thumbnail_key(
                file_id=file_id, version_id=version_id, extension=thumbnail.extension
            ),
            content=io.BytesIO(thumbnail.content),
        )
    except BaseException:
        storage.delete_now([key])
        raise
    return key, thumbnail_key


def _version_create(
    *,
    asset: Asset,
    prepared: PreparedContent,
    keys: tuple[str, str],
    version_id: str,
    name: str,
    origin: str,
    origin_detail: str = "",
    created_by: AbstractBaseUser | None = None,
) -> AssetVersion:
    """Create the next version of a (locked) asset and make it current."""
    latest = asset.versions.order_by("-number").values_list("number", flat=True).first() or 0
    inspection = prepared.inspection
    version = AssetVersion.objects.create(
        version_id=version_id,
        asset=asset,
        number=latest + 1,
        name=name,
        storage_key=keys[0],
        thumbnail_key=keys[1],
        size=prepared.spooled.size,
        mime=inspection.mime,
        format=inspection.format,
        width=inspection.width,
        height=inspection.height,
        has_alpha=inspection.has_alpha,
        checksum=prepared.spooled.sha256,
        embedded_metadata=inspection.embedded_metadata,
        origin=origin,
        origin_detail=origin_detail,
        created_by=created_by,
    )
    asset.current_version = version
    asset.file_type = Asset.FileType.IMAGE if inspection.is_image else Asset.FileType.NON_IMAGE
    return version


@dataclass(frozen=True)
class UploadResult:
    asset: Asset
    version: AssetVersion
    runs: list[Any]
    # True when a non-empty `extensions` was sent: the response then has extensionStatus.
    extensions_requested: bool


def _extension_requests(raw: Any) -> list[Any]:
    if raw is None or raw == "" or raw == []:
        return []
    from extensions.services import validate_extensions

    return validate_extensions(raw)


def _validated_webhook_url(url: str | None) -> str:
    if not url:
        return ""
    from webhooks.services import validate_webhook_url

    return validate_webhook_url(url)


def upload_file(
    *,
    file: File | IO[bytes] | bytes | str,
    file_name: str,
    use_unique_file_name: bool = True,
    folder: str | None = "/",
    tags: str | list[str] | None = None,
    is_private: bool | None = None,
    is_published: bool | None = None,
    custom_coordinates: str | None = None,
    custom_metadata: dict[str, Any] | None = None,
    description: str | None = None,
    extensions: Any = None,
    webhook_url: str | None = None,
    overwrite_file: bool = True,
    overwrite_ai_tags: bool = True,
    overwrite_tags: bool = True,
    overwrite_custom_metadata: bool = True,
    created_by: AbstractBaseUser | None = None,
) -> UploadResult:
    """Upload a file (a file object or bytes, an http(s) URL, or base64 text).

    Everything is validated, fetched and inspected before anything is written;
    then the bytes are stored, and the asset, its version, tags and extension
    runs are written in one transaction (the stored bytes are removed if it
    fails). After the commit the extension runs are started. An existing path
    with use_unique_file_name=False becomes a new version of that file, or a
    409 (reason FILE_ALREADY_EXISTS) with overwrite_file=False. An overwrite
    keeps the file's privacy and publication unless is_private / is_published
    are given (None): a new version must not make a private file public.
    """
    name = sanitize_file_name(file_name)
    folder_path = normalize_folder(folder)
    tag_names = parse_tags(tags)
    coordinates = (
        None if custom_coordinates is None else validate_custom_coordinates(custom_coordinates)
    )
    metadata = None if custom_metadata is None else validate_custom_metadata(custom_metadata)
    description_text = None if description is None else validate_description(description)
    requests = _extension_requests(extensions)
    webhook = _validated_webhook_url(webhook_url)

    if use_unique_file_name:
        name = unique_file_name(name)
    file_path = join_file_path(folder_path, name)
    if len(file_path) > Asset._meta.get_field("file_path").max_length:
        raise BadRequest("The file path (folder and name) is too long.")
    existing = Asset.objects.filter(file_path=file_path).first()
    if existing is not None and not overwrite_file:
        raise _file_exists(file_path)

    prepared = _content_prepare(source=file, name=name)
    file_id = existing.file_id if existing else generate_public_id()
    version_id = generate_public_id() if existing else file_id
    try:
        with removing_written_on_error() as written:
            keys = _content_store(
                prepared=prepared, file_id=file_id, version_id=version_id, name=name
            )
            written.extend(keys)
            with transaction.atomic():
                asset = Asset.objects.select_for_update().filter(file_path=file_path).first()
                if asset is not None and (not overwrite_file or asset.file_id != file_id):
                    raise _file_exists(file_path)
                overwriting = asset is not None
                if asset is None:
                    asset = Asset(file_id=file_id, file_path=file_path, name=name)
                asset.folder = folder_ensure(path=folder_path)
                if is_private is not None:
                    asset.is_private = is_private
                if is_published is not None:
                    asset.is_published = is_published
                if coordinates is not None or overwriting:
                    asset.custom_coordinates = coordinates or ""
                if metadata is not None or (overwriting and overwrite_custom_metadata):
                    asset.custom_metadata = metadata or {}
                if description_text is not None:
                    asset.description = description_text
                asset.save()
                version = _version_create(
                    asset=asset,
                    prepared=prepared,
                    keys=keys,
                    version_id=version_id,
                    name=name,
                    origin=(
                        AssetVersion.Origin.OVERWRITE if overwriting else AssetVersion.Origin.UPLOAD
                    ),
                    created_by=created_by,
                )
                asset.save(update_fields=["current_version", "file_type", "updated_at"])
                asset_versions_prune(asset=asset)
                if tag_names is not None or (overwriting and overwrite_tags):
                    asset_tags_set(asset=asset, names=tag_names or [])
                if overwriting and overwrite_ai_tags:
                    _ai_tags_remove_all(asset)
                runs = _extension_runs_create(
                    asset=asset,
                    version=version,
                    requests=requests,
                    webhook_url=webhook,
                    overwrite_ai_tags=overwrite_ai_tags,
                    requested_by=created_by,
                )
    except IntegrityError:
        if not Asset.objects.filter(file_path=file_path).exists():
            raise
        # Another upload created the same path meanwhile; a retry overwrites it.
        raise _file_exists(file_path) from None
    finally:
        prepared.close()
    _extension_runs_start(runs)
    return UploadResult(
        asset=selectors.asset_get(file_id=asset.file_id),
        version=version,
        runs=runs,
        extensions_requested=bool(requests),
    )


def _file_exists(file_path: str) -> Conflict:
    return Conflict(
        f"A file already exists at {file_path}; upload with overwriteFile=true to "
        "add a new version, or useUniqueFileName=true.",
        reason="FILE_ALREADY_EXISTS",
    )


def _ai_tags_remove_all(asset: Asset) -> None:
    from extensions.services import ai_tags_remove

    ai_tags_remove(asset=asset, names="all")


def _extension_runs_create(
    *,
    asset: Asset,
    version: AssetVersion,
    requests: list[Any],
    webhook_url: str,
    overwrite_ai_tags: bool,
    requested_by: AbstractBaseUser | None,
) -> list[Any]:
    if not requests:
        return []
    from extensions.services import extension_runs_create

    return extension_runs_create(
        asset=asset,
        version=version,
        requests=requests,
        webhook_url=webhook_url,
        overwrite_ai_tags=overwrite_ai_tags,
        requested_by=requested_by,
    )


def _extension_runs_start(runs: list[Any]) -> None:
    if not runs:
        return
    from extensions.services import extension_runs_start

    extension_runs_start(runs=runs)


def asset_version_add(
    *,
    asset: Asset,
    content: bytes | File,
    name: str | None = None,
    origin: str,
    origin_detail: str = "",
    created_by: AbstractBaseUser | None = None,
) -> AssetVersion:
    """Store `content` as the new current version of `asset` (validated, inspected, thumbnailed).

    The asset keeps its name and path; `name` is the stored file's name
    (default: the asset's).
    """
    version_name = sanitize_file_name(name) if name else asset.name
    prepared = _content_prepare(source=content, name=version_name)
    version_id = generate_public_id()
    try:
        with removing_written_on_error() as written:
            keys = _content_store(
                prepared=prepared, file_id=asset.file_id, version_id=version_id, name=version_name
            )
            written.extend(keys)
            with transaction.atomic():
                locked = Asset.objects.select_for_update().get(pk=asset.pk)
                version = _version_create(
                    asset=locked,
                    prepared=prepared,
                    keys=keys,
                    version_id=version_id,
                    name=version_name,
                    origin=origin,
                    origin_detail=origin_detail,
                    created_by=created_by,
                )
                locked.save(update_fields=["current_version", "file_type", "updated_at"])
                asset_versions_prune(asset=locked)
    finally:
        prepared.close()
    asset.current_version = version
    asset.file_type = locked.file_type
    asset.updated_at = locked.updated_at
    return version


def version_thumbnail_ensure(*, version: AssetVersion) -> str:
    """The version's thumbnail key, made from the stored file if missing ("" for non-images).

    Safe to call concurrently: the key is recorded with a conditional update,
    and the loser of a race deletes its copy.
    """
    if version.thumbnail_key:
        return version.thumbnail_key
    with storage.open_version(version) as stored:
        thumbnail = images.thumbnail_from_file(stored)
    if thumbnail is None:
        return ""
    key = storage.save(
        key=storage.thumbnail_key(
            file_id=version.asset.file_id,
            version_id=version.version_id,
            extension=thumbnail.extension,
        ),
        content=io.BytesIO(thumbnail.content),
    )
    won = AssetVersion.objects.filter(pk=version.pk, thumbnail_key="").update(thumbnail_key=key)
    if not won:
        storage.delete_now([key])
        version.refresh_from_db(fields=["thumbnail_key"])
        return version.thumbnail_key
    version.thumbnail_key = key
    return key


@dataclass(frozen=True)
class UpdateResult:
    asset: Asset
    runs: list[Any]
    extensions_requested: bool


def asset_update_details(
    *,
    asset: Asset,
    tags: list[str] | Unset | None = UNSET,
    custom_coordinates: str | Unset | None = UNSET,
    custom_metadata: dict[str, Any] | Unset | None = UNSET,
    description: str | Unset | None = UNSET,
    is_published: bool | Unset = UNSET,
    remove_ai_tags: list[str] | str | None = None,
    extensions: Any = None,
    webhook_url: str | None = None,
    requested_by: AbstractBaseUser | None = None,
) -> UpdateResult:
    """Update what the request names (UNSET: unchanged; None: cleared).

    `remove_ai_tags` ("all" or names) is applied before the extensions run.
    """
    tag_names = UNSET if tags is UNSET else parse_tags(tags)
    coordinates = (
        UNSET if custom_coordinates is UNSET else validate_custom_coordinates(custom_coordinates)
    )
    metadata = UNSET if custom_metadata is UNSET else validate_custom_metadata(custom_metadata)
    description_text = UNSET if description is UNSET else validate_description(description)
    ai_tags_to_remove = _ai_tag_names(remove_ai_tags)
    requests = _extension_requests(extensions)
    webhook = _validated_webhook_url(webhook_url)

    with transaction.atomic():
        # Locks the asset row only (PostgreSQL refuses FOR UPDATE across the outer join).
        locked = (
            Asset.objects.select_for_update(of=("self",))
            .select_related("current_version")
            .get(pk=asset.pk)
        )
        if coordinates is not UNSET:
            locked.custom_coordinates = coordinates
        if metadata is not UNSET:
            locked.custom_metadata = metadata
        if description_text is not UNSET:
            locked.description = description_text
        if is_published is not UNSET:
            locked.is_published = is_published
        locked.save()
        if tag_names is not UNSET:
            asset_tags_set(asset=locked, names=tag_names or [])
        if ai_tags_to_remove:
            from extensions.services import ai_tags_remove

            ai_tags_remove(asset=locked, names=ai_tags_to_remove)
        runs = _extension_runs_create(
            asset=locked,
            version=locked.current_version,
            requests=requests,
            webhook_url=webhook,
            overwrite_ai_tags=True,
            requested_by=requested_by,
        )
    _extension_runs_start(runs)
    return UpdateResult(
        asset=selectors.asset_get(file_id=asset.file_id),
        runs=runs,
        extensions_requested=bool(requests),
    )


def _ai_tag_names(value: list[str] | str | None) -> list[str] | str:
    if value is None or value == []:
        return []
    if value == "all":
        return "all"
    if isinstance(value, list) and all(isinstance(item, str) and item for item in value):
        return value
    raise BadRequest('removeAITags must be "all" or a list of AI tag names.')


def asset_delete(*, asset: Asset) -> None:
    """Delete the asset and all its versions; their stored files go after the commit."""
    with transaction.atomic():
        assets_delete(assets=Asset.objects.filter(pk=asset.pk))
