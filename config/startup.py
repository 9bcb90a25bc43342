"""Start-up of the long-running processes: a missing or bad setting is one clear line."""

from __future__ import annotations

import sys


def settings_or_exit() -> None:
    """Load the settings now; end the process with one line naming the problem if they fail.

    gunicorn and Celery would otherwise print a traceback for what is a configuration
    error (manage.py does the same in its own `main`).
    """
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        settings.INSTALLED_APPS  # noqa: B018 (reading one setting loads them all)
    except ImproperlyConfigured as exc:
        sys.exit(f"Configuration error: {exc}")
