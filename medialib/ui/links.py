"""The URLs the browser UI puts in its pages for a file.

The file itself and its thumbnail come from medialib.delivery.viewer_urls
(signed when the file is private or unpublished). Any version, old ones
included, is shown through the UI's own login-protected view.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from medialib.delivery import viewer_urls
from medialib.models import Asset, AssetVersion


def asset_links(*, asset: Asset, request: HttpRequest) -> dict[str, str]:
    """{"url": the file, "thumbnail": its thumbnail ("" if none), "preview": what the panel shows}.

    The preview names the version, so a browser never shows a cached older one.
    """
    urls = viewer_urls(asset=asset, request=request)
    version = asset.current_version
    is_image = version is not None and version.mime.startswith("image/")
    thumbnail = urls["thumbnail"]
    if thumbnail and version is not None:
        # The served thumbnail may be cached for a while; naming the version
        # makes a new one (a removed background, a restore) show at once.
        thumbnail += ("&" if "?" in thumbnail else "?") + f"v={version.version_id}"
    return {
        "url": urls["url"],
        "thumbnail": thumbnail,
        "preview": version_preview_url(asset=asset, version=version) if is_image else "",
    }


def version_preview_url(*, asset: Asset, version: AssetVersion) -> str:
    return reverse("asset-version-content", args=[asset.file_id, version.version_id])
