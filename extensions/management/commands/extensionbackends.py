"""`manage.py extensionbackends`: the table of which backend serves each extension now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from extensions.selectors import extension_backends


class Command(BaseCommand):
    help = "List each extension, the backend that serves it now and whether it is configured."

    def handle(self, *args: Any, **options: Any) -> None:
        rows = [("extension", "served by", "credentials")]
        for state in extension_backends():
            if not state.backend:
                served = "nothing (runs fail not_configured)"
            elif state.fallback:
                served = f"{state.backend} (offline fallback)"
            else:
                served = state.backend
            rows.append((state.name, served, "configured" if state.configured else "not set"))
        widths = [max(len(row[column]) for row in rows) for column in range(2)]
        for name, served, credentials in rows:
            self.stdout.write(
                f"  {name.ljust(widths[0])}  {served.ljust(widths[1])}  {credentials}".rstrip()
            )
