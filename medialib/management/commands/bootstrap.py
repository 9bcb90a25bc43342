"""First-run set-up for `make run`: an admin user and an API key, printed once.

They are also written to var/first-run-credentials.txt, created with mode 0600;
later runs name that file without printing its secrets again.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from core.files import write_private_file
from medialib.services import api_key_create


class Command(BaseCommand):
    help = "Create the first admin user and API key if there is no user yet, and print them."

    def handle(self, *args, **options) -> None:
        user_model = get_user_model()
        credentials_file = settings.VAR_DIR / "first-run-credentials.txt"
        if user_model.objects.exists():
            if credentials_file.exists():
                self.stdout.write(
                    f"The first-run credentials were printed once; they are in {credentials_file} "
                    "(readable by its owner only). Delete the file once they are kept elsewhere."
                )
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
        credentials_file.unlink(missing_ok=True)  # left from an earlier database
        write_private_file(credentials_file, text)
        self.stdout.write(text)
