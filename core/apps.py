from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app may use: error types, domain events, admin helpers, guarded outbound HTTP."""

    name = "core"
    verbose_name = "Core"
