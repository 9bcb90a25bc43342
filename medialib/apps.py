from django.apps import AppConfig


class MedialibConfig(AppConfig):
    verbose_name = "Media library"
    name = "medialib"
