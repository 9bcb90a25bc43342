"""An upload's `transformation`, as ImageKit's upload API and the SDK define it.

`{"pre": "<transformation>", "post": [{"type": "transformation", "value": "w-300"},
{"type": "thumbnail", "value": "w-150,h-150"}]}` (the SDK sends it as a JSON
string in the multipart form):

- `pre` is applied to the uploaded bytes before they are stored: the stored
  original (and its size, format, dimensions and checksum) is the transformed image.
- `post` renditions are made eagerly, after the upload commits, by the task
  `medialib.tasks.upload_post_transform`, so that their first request is served
  from the rendition cache. `thumbnail` without a value is the stored thumbnail
  (`tr:n-ik_ml_thumbnail`).

Everything is checked before anything is stored: a bad transformation, a video
type (`gif-to-video`, `abs`) or a `pre` on a file that is not an image is a 400.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

from core import events
from core.exceptions import ApplicationError, BadRequest
from medialib import images, renderer, transformations
from medialib.events import (
    UploadPostTransformFailed,
    UploadPostTransformSucceeded,
    UploadPreTransformFailed,
)
from medialib.models import AssetVersion
from medialib.services.named_transformations import named_transformation_text
from medialib.services.renditions import rendition_ensure
from medialib.services.versions import PreparedContent, content_prepare, version_thumbnail_ensure

logger = logging.getLogger(__name__)
MAX_POST = 10
POST_TYPES = ("transformation", "thumbnail")
VIDEO_POST_TYPES = ("gif-to-video", "abs")


@dataclass(frozen=True)
class PostTransformation:
    type: str
    value: str  # "" only for the default thumbnail


@dataclass(frozen=True)
class UploadTransformation:
    pre: str = ""
    post: tuple[PostTransformation, ...] = ()


def _bad(message: str) -> BadRequest:
    return BadRequest(message, reason="INVALID_TRANSFORMATION")


def _parse(text: str) -> list[transformations.Step]:
    return transformations.parse(text, named=named_transformation_text)


def clean_upload_transformation(value: Any) -> UploadTransformation | None:
    """The upload's `transformation` object, validated (None when not given); 400 if bad."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _bad("transformation must be an object with 'pre' and/or 'post'.")
    unknown = sorted(set(value) - {"pre", "post"})
    if unknown:
        raise _bad(f"transformation has an unknown field '{unknown[0]}'.")
    pre = value.get("pre") or ""
    if not isinstance(pre, str):
        raise _bad("transformation.pre must be a transformation string, as 'w-300,h-200'.")
    if pre:
        steps = _parse(pre)
        if transformations.wants_original(steps):
            raise _bad("transformation.pre cannot be 'orig-true'.")
    post_items = value.get("post") or []
    if not isinstance(post_items, list) or len(post_items) > MAX_POST:
        raise _bad(f"transformation.post must be a list of at most {MAX_POST} objects.")
    post = []
    for item in post_items:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind in VIDEO_POST_TYPES:
            raise BadRequest(
                f"transformation.post type '{kind}' (video) is not supported by this media "
                "library.",
                reason="UNSUPPORTED_TRANSFORMATION",
            )
        if kind not in POST_TYPES:
            raise _bad("Each transformation.post item needs a type: transformation or thumbnail.")
        text = item.get("value") or ""
        if not isinstance(text, str) or (kind == "transformation" and not text):
            raise _bad(f"transformation.post item of type '{kind}' needs a string value.")
        if text:
            _parse(text)
        post.append(PostTransformation(type=kind, value=text))
    if not pre and not post:
        return None
    return UploadTransformation(pre=pre, post=tuple(post))


def content_pre_transform(
    *, prepared: PreparedContent, pre: str, file_name: str, file_path: str, request_id: str = ""
) -> PreparedContent:
    """The upload's bytes with `pre` applied, inspected again (closes `prepared`).

    A file that is not an image, or an image the renderer refuses, is a 400;
    UploadPreTransformFailed is announced first.
    """
    try:
        if not images.is_image_format(prepared.inspection.format):
            raise BadRequest(
                "transformation.pre applies to images only.", reason="INVALID_TRANSFORMATION"
            )
        steps = _parse(pre)
        fmt = renderer.output_format(steps, source_format=prepared.inspection.format)
        with tempfile.NamedTemporaryFile(suffix=".upload") as copy:
            prepared.spooled.file.seek(0)
            shutil.copyfileobj(prepared.spooled.file, copy, 1024 * 1024)
            copy.flush()
            rendered = renderer.render(copy.name, steps, fmt=fmt)
    except ApplicationError as error:
        prepared.close()
        with transaction.atomic():
            events.announce(
                UploadPreTransformFailed(
                    file_name=file_name,
                    file_path=file_path,
                    transformation=pre,
                    reason=error.message,
                    request_id=request_id,
                )
            )
        raise
    prepared.close()
    return content_prepare(source=rendered.content, name=file_name)


def post_transformations_entries(
    post: tuple[PostTransformation, ...], *, request_id: str = ""
) -> list[dict[str, str]]:
    """What AssetVersion.post_transformations records of the requested `post` items
    (with the upload's request id, which their events carry)."""
    return [
        {
            "type": p.type,
            "value": p.value,
            "state": "pending",
            "error": "",
            "request_id": request_id,
        }
        for p in post
    ]


def post_transformations_dispatch(*, version_id: str) -> None:
    """Queue the eager renditions of a committed upload; a broker down only logs."""
    # Imported here: the task module imports the services.
    from medialib.tasks import upload_post_transform

    try:
        upload_post_transform.apply_async(args=[version_id])
    except (BrokerError, OSError):
        logger.warning("Could not queue the post transformations of %s", version_id, exc_info=True)


def _render_post(version: AssetVersion, entry: dict[str, str]) -> None:
    if entry["type"] == "thumbnail" and not entry["value"]:
        version_thumbnail_ensure(version=version)
        return
    steps = _parse(entry["value"])
    rendition_ensure(
        version=version,
        steps=steps,
        transformation=transformations.normalise(steps),
        fmt=renderer.output_format(steps, source_format=version.format),
    )


def upload_post_transformations_render(*, version_id: str) -> int:
    """Render the pending `post` items of a version; return how many were done now.

    Safe to run twice or at once: each item's state is set under a row lock and
    only the run that moves it from "pending" announces its event; the rendition
    cache renders a (version, transformation) once. A version no longer current
    is skipped (its renditions would be swept).
    """
    version = AssetVersion.objects.select_related("asset").filter(version_id=version_id).first()
    if version is None:
        return 0
    done = 0
    for index, entry in enumerate(version.post_transformations):
        if entry.get("state") != "pending":
            continue
        if version.asset.current_version_id != version.pk:
            state, error = "skipped", "The version is no longer the current version."
        else:
            try:
                _render_post(version, entry)
                state, error = "done", ""
            except ApplicationError as failure:
                state, error = "failed", failure.message
        with transaction.atomic():
            locked = AssetVersion.objects.select_for_update().get(pk=version.pk)
            entries = list(locked.post_transformations)
            if entries[index].get("state") != "pending":
                continue
            entries[index] = {**entries[index], "state": state, "error": error}
            locked.post_transformations = entries
            locked.save(update_fields=["post_transformations"])
            if state == "done":
                done += 1
                events.announce(
                    UploadPostTransformSucceeded(
                        asset=version.asset,
                        version=locked,
                        transformation_type=entry["type"],
                        value=entry["value"],
                        request_id=entry.get("request_id", ""),
                    )
                )
            elif state == "failed":
                events.announce(
                    UploadPostTransformFailed(
                        asset=version.asset,
                        version=locked,
                        transformation_type=entry["type"],
                        value=entry["value"],
                        reason=error,
                        request_id=entry.get("request_id", ""),
                    )
                )
    return done
