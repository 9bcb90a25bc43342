"""What a client-side upload (a browser holding one upload signature) may ask for.

A signature is handed to untrusted page visitors, so it buys a new file and
nothing more: always a unique name, never an overwrite, and no publication
flag, extensions (they spend units), webhook URL or URL source (the server
would fetch what the visitor chooses) unless a setting allows each. A folder
prefix may pin where such files land.
"""

from __future__ import annotations

from django.conf import settings

from core.exceptions import Forbidden
from medialib.services.rules import clean_folder_path


def client_upload_check(
    *,
    use_unique_file_name: bool,
    folder: str,
    is_published_given: bool,
    has_extensions: bool,
    has_webhook_url: bool,
    source_is_url: bool,
) -> None:
    """Raise Forbidden (403) for what a client-side upload may not ask; None if allowed.

    The values are the form's as sent (`folder` is cleaned here), checked before
    anything is fetched or written.
    Overwriting is not a question: the caller always uploads with overwrite_file=False,
    so even an allowed fixed name answers 409 on a taken path.
    """
    help_setting = "the library's administrator can allow it with the setting {}."
    if not use_unique_file_name and not settings.MEDIALIB_CLIENT_UPLOAD_ALLOW_FIXED_NAMES:
        raise Forbidden(
            "Client-side uploads always get a unique file name (useUniqueFileName=false "
            "is refused); " + help_setting.format("MEDIALIB_CLIENT_UPLOAD_ALLOW_FIXED_NAMES")
        )
    if is_published_given and not settings.MEDIALIB_CLIENT_UPLOAD_ALLOW_PUBLISH_FLAG:
        raise Forbidden(
            "Client-side uploads may not set isPublished; "
            + help_setting.format("MEDIALIB_CLIENT_UPLOAD_ALLOW_PUBLISH_FLAG")
        )
    if (has_extensions or has_webhook_url) and not settings.MEDIALIB_CLIENT_UPLOAD_ALLOW_EXTENSIONS:
        raise Forbidden(
            "Client-side uploads may not request extensions or a webhookUrl; "
            + help_setting.format("MEDIALIB_CLIENT_UPLOAD_ALLOW_EXTENSIONS")
        )
    if source_is_url and not settings.MEDIALIB_CLIENT_UPLOAD_ALLOW_URL_SOURCE:
        raise Forbidden(
            "Client-side uploads must send the file itself, not a URL to fetch; "
            + help_setting.format("MEDIALIB_CLIENT_UPLOAD_ALLOW_URL_SOURCE")
        )
    prefix = settings.MEDIALIB_CLIENT_UPLOAD_FOLDER_PREFIX.rstrip("/")
    if prefix:
        folder = clean_folder_path(folder)
    if prefix and folder != prefix and not folder.startswith(prefix + "/"):
        raise Forbidden(f"Client-side uploads must go into the folder {prefix} or below it.")
