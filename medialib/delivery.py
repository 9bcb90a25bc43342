"""URLs that serve stored files, and the signatures of private ones.

A file is served at `/f/<filePath>`, its thumbnail at `/f/<filePath>?tr=n-ik_ml_thumbnail`
(ImageKit's query form of a transformation). A private or unpublished file is
served only with `ik-t` (expiry, Unix seconds) and `ik-s` (signature) query
parameters: HMAC-SHA256 keyed by SECRET_KEY over the path, the transformation
and the expiry, so a URL cannot be extended, moved to another file or turned
into another transformation.

URLs signed by ImageKit's SDK (`client.helper.build_url(..., signed=True)`) are
accepted too: `ik-s` = hex HMAC-SHA1, under the private key of an active API
key, of the URL after `<endpoint>/` (query included, before `ik-t`/`ik-s`) and
the expiry (`ik-t`, or 9999999999 when the SDK left it out), exactly as
`imagekitio/lib/helper.py` computes it, with the endpoint `<base URL>/f`.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import time
from urllib.parse import quote, unquote, urlencode, urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare, salted_hmac

from medialib.models import ApiKey, Asset, AssetVersion
from medialib.services.api_keys import api_key_private_key

THUMBNAIL_TRANSFORMATION = "n-ik_ml_thumbnail"
# The SDK's expiry when `signed=True` is given without `expires_in`.
SDK_NO_EXPIRY = 9999999999
# Characters the SDK leaves unencoded in paths (RFC 3986 pchar), as its helper.
_SDK_PATH_SAFE = "/:@!$&'()*+,;=-._~"
SERVE_PREFIX = "/f"
_SIGNING_SALT = "medialib.delivery.signed-url"


def _base_url(request: HttpRequest | None) -> str:
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    # Same-origin pages (admin, UI) built without a request; the wire uses absolute_url().
    return ""


def served_bases(request: HttpRequest | None = None) -> list[str]:
    """The bases this server's file URLs start with: the API's (PUBLIC_BASE_URL, or the
    request's host) and the one of webhook bodies built on a worker."""
    bases = (_base_url(request), settings.PUBLIC_BASE_URL_FALLBACK)
    return list(dict.fromkeys(base for base in bases if base))


def split_path_transformation(path: str) -> tuple[str, str]:
    """(path transformation, file path) of `tr:<transformation>/<path>` or a plain path
    (the part of a URL after `/f/`)."""
    if path.startswith("tr:"):
        head, separator, rest = path.partition("/")
        if separator and rest:
            return head[3:], rest
    return "", path


def served_path(url: str, *, bases: list[str]) -> str | None:
    """The decoded part after `<base>/f/` of an absolute URL on one of `bases`
    (scheme and host compared without case), None for a URL that is not one of them."""
    parts = urlsplit(url)
    for base in bases:
        expected = urlsplit(base)
        if (parts.scheme.lower(), parts.netloc.lower()) != (
            expected.scheme.lower(),
            expected.netloc.lower(),
        ):
            continue
        prefix = expected.path.rstrip("/") + SERVE_PREFIX + "/"
        if parts.path.startswith(prefix):
            return unquote(parts.path[len(prefix) :])
    return None


def absolute_url(url: str) -> str:
    """`url` made absolute for the wire: built outside a request (a webhook body on a
    worker), it is relative, and ImageKit's file object never is."""
    if url.startswith("/"):
        return settings.PUBLIC_BASE_URL_FALLBACK + url
    return url


class PathUrls:
    """Unsigned URLs of file paths under one base, worked out once for many paths.

    A listing builds two URLs for each of up to 1,000 files: the base (settings and
    the request's host) and the thumbnail's query are the same for all of them.
    """

    def __init__(self, request: HttpRequest | None = None, *, absolute: bool = False) -> None:
        prefix = _base_url(request) + SERVE_PREFIX
        # `absolute_url` of the whole URL is decided by its start: the prefix.
        self._prefix = absolute_url(prefix) if absolute else prefix

    def url(self, file_path: str, transformation: str = "") -> str:
        url = self._prefix + quote(file_path)
        if transformation:
            url += _transformation_query(transformation)
        return url

    def thumbnail(self, *, asset: Asset, version: AssetVersion | None) -> str:
        """The thumbnail's URL, "" for files without one (non-images), as ImageKit."""
        if not has_thumbnail(asset=asset, version=version):
            return ""
        return self.url(asset.file_path, THUMBNAIL_TRANSFORMATION)


@functools.lru_cache(maxsize=64)
def _transformation_query(transformation: str) -> str:
    return "?" + urlencode({"tr": transformation})


def path_url(
    *, file_path: str, transformation: str = "", request: HttpRequest | None = None
) -> str:
    """The unsigned URL of a file path (absolute when a base is known)."""
    return PathUrls(request).url(file_path, transformation)


def _signature(*, file_path: str, transformation: str, expire: int) -> str:
    message = f"{file_path}\n{transformation}\n{expire}"
    return salted_hmac(_SIGNING_SALT, message, algorithm="sha256").hexdigest()


def signed_path_url(
    *,
    file_path: str,
    transformation: str = "",
    request: HttpRequest | None = None,
    expires_in: int | None = None,
) -> str:
    """A URL serving the file (private or not) until `expires_in` seconds from now."""
    ttl = settings.MEDIALIB_SIGNED_URL_TTL if expires_in is None else expires_in
    expire = int(time.time()) + ttl
    query = {"ik-t": str(expire)}
    if transformation:
        query = {"tr": transformation, **query}
    query["ik-s"] = _signature(file_path=file_path, transformation=transformation, expire=expire)
    return f"{_base_url(request)}{SERVE_PREFIX}{quote(file_path)}?{urlencode(query)}"


def signature_is_valid(*, file_path: str, transformation: str, expire: str, signature: str) -> bool:
    """True when `signature` signs this path and transformation and has not expired."""
    try:
        expire_at = int(expire)
    except ValueError:
        return False
    if expire_at < time.time():
        return False
    expected = _signature(file_path=file_path, transformation=transformation, expire=expire_at)
    return constant_time_compare(expected, signature)


def sdk_signature_is_valid(*, path_after_endpoint: str, query_string: str) -> bool:
    """True when the raw query's `ik-s` (and `ik-t`) sign this URL as the SDK signs it.

    `path_after_endpoint` is the decoded request path after `/f/` (with a path
    transformation `tr:.../` in it); `query_string` the raw query string.
    """
    kept, expire, signature = [], "", ""
    for part in query_string.split("&") if query_string else []:
        name = part.split("=", 1)[0]
        if name == "ik-s":
            signature = part[5:]
        elif name == "ik-t":
            expire = part[5:]
        else:
            kept.append(part)
    if not signature:
        return False
    if expire:
        try:
            expire_at = int(expire)
        except ValueError:
            return False
        if expire_at < time.time():
            return False
    else:
        expire_at = SDK_NO_EXPIRY
    message = quote(path_after_endpoint, safe=_SDK_PATH_SAFE)
    if kept:
        message += "?" + "&".join(kept)
    message += str(expire_at)
    for api_key in ApiKey.objects.filter(revoked_at__isnull=True).only(
        "prefix", "derivation_salt", "secret_hash"
    ):
        private_key = api_key_private_key(api_key=api_key)
        if not private_key:
            continue
        expected = hmac.new(private_key.encode(), message.encode(), hashlib.sha1).hexdigest()
        if hmac.compare_digest(expected, signature):
            return True
    return False


def file_url(*, asset: Asset, request: HttpRequest | None = None) -> str:
    """The file's `url`: unsigned, served to anyone when the file is public."""
    return path_url(file_path=asset.file_path, request=request)


def thumbnail_url(
    *, asset: Asset, version: AssetVersion | None = None, request: HttpRequest | None = None
) -> str:
    """The thumbnail's URL, "" for files without one (non-images), as ImageKit."""
    return PathUrls(request).thumbnail(asset=asset, version=version or asset.current_version)


def has_thumbnail(*, asset: Asset, version: AssetVersion | None) -> bool:
    """Images have one: made at upload, or on the first request (medialib.serving)."""
    if version is None:
        return False
    return bool(version.thumbnail_key) or asset.file_type == Asset.FileType.IMAGE


def viewer_url(
    *, asset: Asset, transformation: str = "", request: HttpRequest | None = None
) -> str:
    """The file, or one of its transformations, for a signed-in UI user: signed if not public."""
    if asset.is_private or not asset.is_published:
        return signed_path_url(
            file_path=asset.file_path, transformation=transformation, request=request
        )
    return path_url(file_path=asset.file_path, transformation=transformation, request=request)


def viewer_urls(*, asset: Asset, request: HttpRequest | None = None) -> dict[str, str]:
    """URLs a signed-in UI user can open: signed when the file is not public."""
    if asset.is_private or not asset.is_published:
        url = signed_path_url(file_path=asset.file_path, request=request)
        thumbnail = (
            signed_path_url(
                file_path=asset.file_path,
                transformation=THUMBNAIL_TRANSFORMATION,
                request=request,
            )
            if has_thumbnail(asset=asset, version=asset.current_version)
            else ""
        )
        return {"url": url, "thumbnail": thumbnail}
    return {
        "url": file_url(asset=asset, request=request),
        "thumbnail": thumbnail_url(asset=asset, request=request),
    }
