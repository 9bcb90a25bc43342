"""`manage.py createapikey NAME [--scope read|upload|full]`: create an API key and print it once.

The public key is printed before the private key; the private key is the LAST
line of the output, so scripts can take it with `tail -n 1`.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from medialib.models import ApiKey
from medialib.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key; prints the public key, then the private key (shown only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="What the key is for, e.g. 'website uploads'.")
        parser.add_argument("--user", help="User name recorded as the key's creator.")
        parser.add_argument(
            "--scope",
            choices=ApiKey.Scope.values,
            default=ApiKey.Scope.FULL,
            help="read: GET calls only; upload: uploads only; full (default): everything.",
        )

    def handle(
        self, *args, name: str, user: str | None = None, scope: str = "full", **options
    ) -> None:
        if not name.strip():
            raise CommandError("The key needs a name.")
        created_by = None
        if user:
            created_by = get_user_model().objects.filter(username=user).first()
            if created_by is None:
                raise CommandError(f"No user named {user!r}.")
        issued = api_key_create(name=name.strip(), created_by=created_by, scope=scope)
        self.stdout.write(f"Public key: {issued.api_key.public_key}")
        self.stdout.write("Private key (shown only now; store it safely):")
        self.stdout.write(issued.private_key)
