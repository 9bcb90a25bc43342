"""Where an upload's bytes come from: a file part, a URL to fetch, or base64 text.

Each becomes a seekable file on local disk or in a small memory buffer (a
spooled temporary file), read and written in chunks: an upload is never held
whole in memory. Past settings.MEDIALIB_MAX_UPLOAD_BYTES the upload stops
with 413.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile

from core import outbound
from core.exceptions import BadRequest, PayloadTooLarge
from core.ssrf import UnsafeTarget
from medialib import images

CHUNK_SIZE = 64 * 1024
# Above this a spooled file moves from memory to disk.
SPOOL_MEMORY_SIZE = 1024 * 1024
MAX_REDIRECTS = 3
logger = logging.getLogger(__name__)
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
_DATA_URI = re.compile(r"^data:[\w.+-]+/[\w.+-]+(?:;[\w-]+=[\w.-]+)*;base64,", re.IGNORECASE)
_BASE64_WHITESPACE = re.compile(rb"\s+")


@dataclass
class Spooled:
    """Upload bytes on disk or in a small buffer, with their size and SHA-256."""

    file: IO[bytes]
    size: int
    sha256: str

    def close(self) -> None:
        self.file.close()


def too_large(size: int | None = None) -> PayloadTooLarge:
    limit = settings.MEDIALIB_MAX_UPLOAD_BYTES
    shown = f" ({size} bytes)" if size is not None else ""
    return PayloadTooLarge(f"The file{shown} is larger than the limit of {limit} bytes.")


def spool_chunks(chunks: Iterable[bytes]) -> Spooled:
    """Copy chunks into a spooled temporary file, hashing them; 413 past the limit."""
    limit = settings.MEDIALIB_MAX_UPLOAD_BYTES
    spooled = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_SIZE)  # noqa: SIM115
    digest = hashlib.sha256()
    size = 0
    try:
        for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise too_large()
            digest.update(chunk)
            spooled.write(chunk)
    except BaseException:
        spooled.close()
        raise
    spooled.seek(0)
    return Spooled(file=spooled, size=size, sha256=digest.hexdigest())


def spool_file(content: File | IO[bytes] | bytes) -> Spooled:
    """An uploaded file part (or bytes, or any binary file), checked and hashed."""
    if isinstance(content, bytes | bytearray):
        return spool_chunks([bytes(content)])
    size = getattr(content, "size", None)
    if size is not None and size > settings.MEDIALIB_MAX_UPLOAD_BYTES:
        raise too_large(size)
    if isinstance(content, UploadedFile):
        return _hashed_in_place(content)
    wrapped = content if isinstance(content, File) else File(content)
    return spool_chunks(wrapped.chunks(CHUNK_SIZE))


def _hashed_in_place(upload: UploadedFile) -> Spooled:
    """A request's file part as Django spooled it (memory or a temporary file), hashed.

    Copying it into a spooled file of our own would write every byte once more.
    """
    limit = settings.MEDIALIB_MAX_UPLOAD_BYTES
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks(CHUNK_SIZE):
        size += len(chunk)
        if size > limit:
            raise too_large()
        digest.update(chunk)
    upload.seek(0)
    return Spooled(file=upload.file, size=size, sha256=digest.hexdigest())


def _base64_chunks(text: str) -> Iterator[bytes]:
    encoded = _BASE64_WHITESPACE.sub(b"", text.encode("ascii"))
    # 4 base64 characters make 3 bytes: decode aligned slices.
    step = CHUNK_SIZE // 3 * 4
    for start in range(0, len(encoded), step):
        yield base64.b64decode(encoded[start : start + step], validate=True)


def spool_base64(text: str) -> Spooled:
    """Base64 text, optionally a `data:<mime>;base64,` URI."""
    match = _DATA_URI.match(text)
    if match:
        text = text[match.end() :]
    if len(text) * 3 // 4 > settings.MEDIALIB_MAX_UPLOAD_BYTES + 3:
        raise too_large()
    try:
        spooled = spool_chunks(_base64_chunks(text))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise BadRequest("file is neither a file, an http(s) URL nor valid base64.") from None
    if spooled.size == 0:
        spooled.close()
        raise BadRequest("file is empty.")
    return spooled


def _rate_checked(
    chunks: Iterator[bytes], *, started: float, min_rate: float, grace: float
) -> Iterator[bytes]:
    """Pass chunks on; raise BadRequest when, past `grace` seconds, the average
    rate since `started` is under `min_rate` bytes per second."""
    received = 0
    for chunk in chunks:
        received += len(chunk)
        elapsed = time.monotonic() - started
        if min_rate > 0 and elapsed > grace and received / elapsed < min_rate:
            raise BadRequest(
                f"The file URL sends too slowly (under {min_rate:g} bytes per second); "
                "upload the file itself instead."
            )
        yield chunk


def spool_url(url: str) -> Spooled:
    """Fetch `url` (streamed, each redirect vetted again) into a spooled file.

    The connection goes to an address the private-address guard vetted (see
    core.outbound), so a name that changes its answer cannot reach a private
    host. No response headers within settings.MEDIALIB_URL_FETCH_TIMEOUT, or no
    data for that long, is a 400; a body past the size limit is a 413. The whole
    fetch, redirects included, must end within MEDIALIB_URL_FETCH_DEADLINE and,
    after MEDIALIB_URL_FETCH_RATE_GRACE seconds, keep an average rate of at least
    MEDIALIB_URL_FETCH_MIN_RATE bytes per second, or it is a 400: a server
    dripping bytes cannot hold a web thread.
    """
    timeout = settings.MEDIALIB_URL_FETCH_TIMEOUT
    deadline = settings.MEDIALIB_URL_FETCH_DEADLINE
    started = time.monotonic()
    for _ in range(MAX_REDIRECTS + 1):
        remaining = deadline - (time.monotonic() - started)
        try:
            if remaining <= 0:
                raise outbound.DeadlinePassed()
            with outbound.open_get(
                url, timeout=min(timeout, remaining), total=remaining
            ) as response:
                if response.status in REDIRECT_STATUSES:
                    url = urljoin(url, response.headers.get("location", ""))
                    continue
                if response.status != 200:
                    raise BadRequest(f"The file URL answered HTTP {response.status}, not 200.")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > settings.MEDIALIB_MAX_UPLOAD_BYTES:
                    raise too_large(int(declared))
                # read1: hands over what has arrived, so the rate is judged as it comes.
                chunks = iter(lambda: response.read1(CHUNK_SIZE), b"")
                spooled = spool_chunks(
                    _rate_checked(
                        chunks,
                        started=started,
                        min_rate=settings.MEDIALIB_URL_FETCH_MIN_RATE,
                        grace=settings.MEDIALIB_URL_FETCH_RATE_GRACE,
                    )
                )
        except UnsafeTarget as exc:
            raise BadRequest(f"The file URL {exc}.") from None
        except outbound.DeadlinePassed:
            raise BadRequest(
                f"The file URL did not send the whole file within {deadline:g} s."
            ) from None
        except TimeoutError:
            raise BadRequest(f"The file URL did not answer within {timeout:g} s.") from None
        except outbound.NETWORK_ERRORS as error:
            logger.info("Fetching an upload URL failed: %s: %s", type(error).__name__, error)
            raise BadRequest("The file URL could not be fetched.") from None
        if spooled.size == 0:
            spooled.close()
            raise BadRequest("The file URL answered an empty body.")
        return spooled
    raise BadRequest(f"The file URL redirected more than {MAX_REDIRECTS} times.")


def spool_source(source: File | IO[bytes] | bytes | str) -> Spooled:
    """The bytes of an upload's `file`: a file part, an http(s) URL, or base64 text."""
    if isinstance(source, str):
        stripped = source.strip()
        if not stripped:
            raise BadRequest("Missing file parameter for upload.")
        if re.match(r"^https?://", stripped, re.IGNORECASE):
            return spool_url(stripped)
        return spool_base64(stripped)
    spooled = spool_file(source)
    if spooled.size == 0:
        spooled.close()
        raise BadRequest("file is empty.")
    return spooled


def url_inspection(url: str) -> tuple[images.Inspection, int]:
    """Fetch an http(s) image URL as spool_url does and inspect it: (inspection, size).

    The bytes are not kept. A URL that is not an image is a 400.
    """
    if not re.match(r"^https?://", url.strip(), re.IGNORECASE):
        raise BadRequest("url must be an http(s) URL.", field="url")
    spooled = spool_url(url.strip())
    try:
        inspection = images.inspect(spooled.file, name=urlsplit(url).path)
    finally:
        spooled.close()
    if not images.is_image_format(inspection.format):
        raise BadRequest("The URL is not an image whose metadata can be read.", field="url")
    return inspection, spooled.size
