"""The URLs the browser UI puts in its pages for a file.

The file itself and its thumbnail come from medialib.delivery (signed when the
file is private or unpublished). Images are shown through URL transformations:
the grid's thumbnails as a `srcset` of `c-at_max` renditions, the panel's
preview likewise, and "Copy URL" offers the file at a chosen width and format.
Rendition URLs name the version (`v=`), so a browser never shows a cached older
one. Any version, old ones included, is shown through the UI's own
login-protected view (the before/after comparison).
"""

from __future__ import annotations

import json

from django.http import HttpRequest
from django.urls import reverse

from medialib.delivery import viewer_url, viewer_urls
from medialib.models import Asset, AssetVersion

# Grid cards are about 13rem wide with a 4:3 thumbnail; the panel preview about 30rem.
GRID_WIDTHS = (160, 320, 480)
GRID_SIZES = "(max-width: 40rem) 45vw, 13rem"
PREVIEW_WIDTHS = (480, 960, 1440)
PREVIEW_SRC = 960
PREVIEW_SIZES = "(max-width: 40rem) 100vw, 30rem"
# "Copy URL": 0 is the original width, "" the original format.
COPY_WIDTHS = (0, 320, 640, 1024, 1920)
COPY_FORMATS = (
    ("", "Original"),
    ("auto", "Auto (WebP/AVIF)"),
    ("webp", "WebP"),
    ("avif", "AVIF"),
    ("jpg", "JPEG"),
    ("png", "PNG"),
)


def fit_transformation(width: int) -> str:
    """Fit in width x 3/4 width, never enlarged (ImageKit's `c-at_max`)."""
    return f"w-{width},h-{width * 3 // 4},c-at_max"


def copy_transformation(width: int, fmt: str) -> str:
    return ",".join(
        part for part in (f"w-{width}" if width else "", f"f-{fmt}" if fmt else "") if part
    )


def _versioned(url: str, version: AssetVersion) -> str:
    return url + ("&" if "?" in url else "?") + f"v={version.version_id}"


def _widths(widths: tuple[int, ...], original: int | None) -> list[int]:
    """The widths below the original's (at least the smallest): no two equal renditions."""
    kept = [w for w in widths if original is None or w < original]
    return kept or [widths[0]]


def _srcset(
    asset: Asset, version: AssetVersion, widths: tuple[int, ...], request: HttpRequest
) -> str:
    return ", ".join(
        _versioned(
            viewer_url(asset=asset, transformation=fit_transformation(w), request=request),
            version,
        )
        + f" {w}w"
        for w in _widths(widths, version.width)
    )


def asset_links(*, asset: Asset, request: HttpRequest) -> dict[str, object]:
    """The file's URLs for the UI's templates.

    "url": the file; "thumbnail": its thumbnail ("" if none) and "thumbnail_srcset"
    (images); "preview" and "preview_srcset": what the panel shows; "copy_urls":
    JSON {"<width>|<format>": url} for "Copy URL" (images), "copy_widths" the widths.
    """
    urls = viewer_urls(asset=asset, request=request)
    version = asset.current_version
    is_image = version is not None and asset.file_type == Asset.FileType.IMAGE
    thumbnail = urls["thumbnail"]
    if thumbnail and version is not None:
        # The served thumbnail may be cached for a while; naming the version
        # makes a new one (a removed background, a restore) show at once.
        thumbnail = _versioned(thumbnail, version)
    links: dict[str, object] = {
        "url": urls["url"],
        "thumbnail": thumbnail,
        "thumbnail_srcset": "",
        "thumbnail_sizes": GRID_SIZES,
        "preview": "",
        "preview_srcset": "",
        "preview_sizes": PREVIEW_SIZES,
        "copy_urls": "",
        "copy_widths": [],
        "copy_formats": COPY_FORMATS,
    }
    if not is_image or version is None:
        return links
    widths = [0] + [w for w in COPY_WIDTHS[1:] if version.width is None or w < version.width]
    copy_urls = {
        f"{w}|{fmt}": viewer_url(
            asset=asset, transformation=copy_transformation(w, fmt), request=request
        )
        for w in widths
        for fmt, _ in COPY_FORMATS
    }
    links.update(
        thumbnail_srcset=_srcset(asset, version, GRID_WIDTHS, request),
        # The src for browsers without srcset: never larger than the original (c-at_max).
        preview=_versioned(
            viewer_url(
                asset=asset, transformation=fit_transformation(PREVIEW_SRC), request=request
            ),
            version,
        ),
        preview_srcset=_srcset(asset, version, PREVIEW_WIDTHS, request),
        copy_urls=json.dumps(copy_urls),
        copy_widths=widths,
    )
    return links


def version_preview_url(*, asset: Asset, version: AssetVersion) -> str:
    return reverse("asset-version-content", args=[asset.file_id, version.version_id])
