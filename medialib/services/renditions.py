"""The rendition cache: render a (version, transformation) once, store it, find it again.

A rendition is stored under `renditions/<fileId>/<versionId>/<digest>.<ext>` and
recorded in `Rendition`, keyed by (version, SHA-256 of the normalised
transformation and the output format). Concurrent first requests for the same
rendition render it once: the first inserts the row (`rendering`) and renders;
the others see the row and wait for it to be `ready` (a claim older than
RENDER_CLAIM_TIMEOUT, left by a killed process, is taken over). Only the current
version is ever looked up, so a new version, a restore or a delete makes the old
renditions unreachable at once; `renditions_sweep` deletes them later.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from core.exceptions import BadRequest
from medialib import delivery, renderer, storage
from medialib.models import AssetVersion, Rendition
from medialib.transformations import Step

logger = logging.getLogger(__name__)
RENDER_CLAIM_TIMEOUT = timedelta(seconds=60)
_WAIT_STEP = 0.05


def _remembered_key(*, version_id: str, digest: str) -> str:
    return f"medialib:rendition:{version_id}:{digest}"


def rendition_digest(*, transformation: str, fmt: str) -> str:
    return hashlib.sha256(f"{transformation}|{fmt}".encode()).hexdigest()


@contextlib.contextmanager
def _local_path(key: str) -> Iterator[str]:
    """A path on this machine holding the stored object (a temporary copy off S3)."""
    if storage.is_local():
        yield default_storage.path(key)
        return
    with tempfile.NamedTemporaryFile(suffix=".src") as copy, storage.open_key(key) as source:
        shutil.copyfileobj(source, copy, 1024 * 1024)
        copy.flush()
        yield copy.name


def _render_into(rendition: Rendition, *, version: AssetVersion, steps: list[Step]) -> None:
    try:
        with _local_path(version.storage_key) as path:
            rendered = renderer.render(path, steps, fmt=rendition.format)
        key = storage.save(
            key=(
                f"renditions/{version.asset.file_id}/{version.version_id}/"
                f"{rendition.digest[:32]}.{rendered.extension}"
            ),
            content=io.BytesIO(rendered.content),
        )
    except BaseException:
        # Free the claim so that the next request tries again (and reports the error).
        Rendition.objects.filter(pk=rendition.pk, state=Rendition.State.RENDERING).delete()
        raise
    Rendition.objects.filter(pk=rendition.pk).update(
        storage_key=key, size=len(rendered.content), state=Rendition.State.READY
    )
    rendition.storage_key, rendition.size = key, len(rendered.content)
    rendition.state = Rendition.State.READY


def rendition_ensure(
    *, version: AssetVersion, steps: list[Step], transformation: str, fmt: str, digest: str = ""
) -> Rendition:
    """The ready rendition of `version` for normalised `transformation` in `fmt`.

    `digest` is rendition_digest() of them when the caller has it already.
    Raises the renderer's BadRequest when the image cannot be transformed.
    """
    digest = digest or rendition_digest(transformation=transformation, fmt=fmt)
    # A ready rendition never changes (a new version gets new ones), so its key can be
    # remembered: serving a cached rendition then costs what serving an original costs.
    # (renditions_purge forgets it.)
    cache_key = _remembered_key(version_id=version.version_id, digest=digest)
    remembered = cache.get(cache_key)
    if remembered:
        return Rendition(
            version=version,
            digest=digest,
            transformation=transformation,
            format=fmt,
            storage_key=remembered,
            state=Rendition.State.READY,
        )
    rendition = _rendition_ready(
        version=version, steps=steps, transformation=transformation, fmt=fmt, digest=digest
    )
    cache.set(cache_key, rendition.storage_key, timeout=3600)
    return rendition


def _rendition_ready(
    *, version: AssetVersion, steps: list[Step], transformation: str, fmt: str, digest: str
) -> Rendition:
    deadline = time.monotonic() + RENDER_CLAIM_TIMEOUT.total_seconds()
    while True:
        rendition = Rendition.objects.filter(version=version, digest=digest).first()
        if rendition is not None and rendition.state == Rendition.State.READY:
            return rendition
        now = timezone.now()
        if rendition is None:
            try:
                with transaction.atomic():
                    rendition = Rendition.objects.create(
                        version=version,
                        digest=digest,
                        transformation=transformation,
                        format=fmt,
                        claimed_at=now,
                    )
            except IntegrityError:
                continue  # another request claimed it first: wait for its result
            _render_into(rendition, version=version, steps=steps)
            return rendition
        stale = rendition.claimed_at < now - RENDER_CLAIM_TIMEOUT
        if stale or time.monotonic() > deadline:
            taken = Rendition.objects.filter(
                pk=rendition.pk, claimed_at=rendition.claimed_at, state=Rendition.State.RENDERING
            ).update(claimed_at=now)
            if taken:
                _render_into(rendition, version=version, steps=steps)
                return rendition
        time.sleep(_WAIT_STEP)


def renditions_sweep() -> int:
    """Delete the renditions of versions that are no longer current; return how many.

    Safe to run twice or beside requests: a rendition of a current version is never
    touched, and the stored objects are deleted after the rows' transaction commits.
    """
    stale = Rendition.objects.filter(
        Q(version__isnull=True) | ~Q(version__asset__current_version=F("version"))
    )
    swept = 0
    while True:
        with transaction.atomic():
            batch = list(
                stale.select_for_update(of=("self",))[:500].values_list("pk", "storage_key")
            )
            if not batch:
                return swept
            Rendition.objects.filter(pk__in=[pk for pk, _ in batch]).delete()
            storage.delete_on_commit(key for _, key in batch)
        swept += len(batch)


PURGE_WILDCARD = "*"


def renditions_purge(*, url: str, bases: list[str]) -> int:
    """Drop the cached renditions of the file a URL names (POST /v1/files/purge); return
    how many.

    `url` is `<base>/f/<filePath>` on one of `bases` (delivery.served_bases), with or
    without a transformation (path or query): every rendition of that file goes, and
    the next request renders it again. A `*` at the end purges every file whose path
    starts with what precedes it (`<base>/f/shoes/*`), as ImageKit's purge does. A URL
    on another host, or naming no file, is a 400. Renditions being rendered are left
    (they are fresh); the stored thumbnail is the file's own and stays.
    """
    served = delivery.served_path(url, bases=bases)
    if served is None:
        raise BadRequest(
            "url is not a file URL of this media library: expected "
            f"{bases[0] if bases else ''}{delivery.SERVE_PREFIX}/<filePath>.",
            reason="INVALID_PURGE_URL",
        )
    _, path = delivery.split_path_transformation(served)
    if path.endswith(PURGE_WILDCARD):
        matching = Q(version__asset__file_path__startswith="/" + path[: -len(PURGE_WILDCARD)])
    elif path and not path.endswith("/"):
        matching = Q(version__asset__file_path="/" + path)
    else:
        raise BadRequest(
            "url must name a file, or end with * to purge every file under a path.",
            reason="INVALID_PURGE_URL",
        )
    cached = Rendition.objects.filter(matching, state=Rendition.State.READY)
    purged = 0
    while True:
        with transaction.atomic():
            batch = list(
                cached.select_for_update(of=("self",))[:500].values_list(
                    "pk", "storage_key", "version__version_id", "digest"
                )
            )
            if not batch:
                return purged
            Rendition.objects.filter(pk__in=[row[0] for row in batch]).delete()
            remembered = [
                _remembered_key(version_id=version_id, digest=digest)
                for _, _, version_id, digest in batch
            ]
            # Forgotten before the objects go, so no request is sent to a deleted key.
            transaction.on_commit(lambda keys=remembered: cache.delete_many(keys))
            storage.delete_on_commit(key for _, key, _, _ in batch)
        purged += len(batch)
