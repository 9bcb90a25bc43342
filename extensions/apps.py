"""Django's configuration of the extensions app."""

from django.apps import AppConfig


class ExtensionsConfig(AppConfig):
    name = "extensions"
