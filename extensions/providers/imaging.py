"""Preparing images for providers that accept only some formats and sizes."""

from __future__ import annotations

import io

from extensions.offline.images import flatten, open_image

JPEG = "image/jpeg"


def image_for_provider(
    data: bytes, mime: str, *, accepted: frozenset[str], max_bytes: int, max_side: int
) -> tuple[bytes, str]:
    """Return the bytes as they are when the provider accepts them, else a JPEG that fits.

    The JPEG is upright, flattened on white, at most `max_side` pixels on its longer side,
    and shrunk further until it is under `max_bytes`. Undecodable bytes raise a permanent
    ProviderError.
    """
    if mime in accepted and len(data) <= max_bytes:
        return data, mime
    picture = flatten(open_image(data, max_side=max_side))
    while True:
        buffer = io.BytesIO()
        picture.save(buffer, format="JPEG", quality=85, optimize=True)
        if buffer.tell() <= max_bytes or max(picture.size) <= 64:
            return buffer.getvalue(), JPEG
        picture = picture.resize((max(1, picture.width * 3 // 4), max(1, picture.height * 3 // 4)))
