"""Reactions of the media library to changes outside it: a deactivated user's API keys."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save

from medialib import services


def revoke_keys_of_deactivated_user(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A user who may not sign in any more must not keep calling the API with their keys."""
    if not instance.is_active:
        services.api_keys_revoke_for_user(user=instance)


def connect() -> None:
    post_save.connect(
        revoke_keys_of_deactivated_user,
        sender=get_user_model(),
        dispatch_uid="medialib.revoke_keys_of_deactivated_user",
    )
