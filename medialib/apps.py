"""Django's configuration of the media library app."""

from django.apps import AppConfig


class MedialibConfig(AppConfig):
    verbose_name = "Media library"
    name = "medialib"

    def ready(self) -> None:
        from medialib import signals

        signals.connect()
