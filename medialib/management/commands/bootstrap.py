"""First-run set-up for `make run`: an admin user and an API key, printed once."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from medialib.services import api_key_create


class Command(BaseCommand):
    help = "Create the first admin user and API key if there is no user yet, and print them."

    def handle(self, *args, **options) -> None:
        user_model = get_user_model()
        credentials_file = settings.VAR_DIR / "first-run-credentials.txt"
        if user_model.objects.exists():
            if credentials_file.exists():
                self.stdout.write(credentials_file.read_text())
            else:
                self.stdout.write("Users exist already; no credentials created.")
            return
        password = secrets.token_urlsafe(12)
        user = user_model.objects.create_superuser("admin", "admin@localhost", password)
        issued = api_key_create(name="First key (make run)", created_by=user)
        text = (
            "Created on first run (kept in var/first-run-credentials.txt):\n"
            f"  admin user:      admin / {password}\n"
            f"  API private key: {issued.private_key}\n"
            f"  API public key:  {issued.api_key.public_key}\n"
        )
        credentials_file.write_text(text)
        credentials_file.chmod(0o600)
        self.stdout.write(text)
