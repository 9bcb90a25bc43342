from __future__ import annotations

from django.core.management.base import BaseCommand

from webhooks.services import webhook_secret_current, webhook_secret_rotate


class Command(BaseCommand):
    help = (
        "Print the webhook signing secret (on the last line, for scripts); "
        "--rotate replaces it first."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="Make a new secret; deliveries are signed with it from now on.",
        )

    def handle(self, *args, rotate: bool = False, **options) -> None:
        if rotate:
            secret = webhook_secret_rotate()
            self.stdout.write("New webhook secret (the previous one no longer signs):")
        else:
            secret = webhook_secret_current()
            self.stdout.write("Webhook secret:")
        self.stdout.write(secret)
