"""Two transactions writing one asset's AI tags at once, on PostgreSQL's row locks."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from extensions.providers.base import Label
from medialib.models import AITag, Asset
from medialib.services import ai_tags_write
from tests.factories import AssetFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks of PostgreSQL"),
]

GOOGLE = "google-auto-tagging"


def test_two_writers_of_the_same_names_to_one_asset_both_succeed() -> None:
    asset = AssetFactory()
    first_written, first_may_commit = threading.Event(), threading.Event()
    errors: list[Exception] = []

    def write(labels: list[Label], *, hold: bool = False) -> None:
        try:
            with transaction.atomic():
                ai_tags_write(
                    asset=Asset.objects.get(pk=asset.pk), source=GOOGLE, labels=labels, replace=True
                )
                if hold:
                    first_written.set()
                    first_may_commit.wait(10)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    first = threading.Thread(
        target=write, args=([Label("Cat", 90), Label("Pet", 80)],), kwargs={"hold": True}
    )
    second = threading.Thread(target=write, args=([Label("Cat", 70), Label("Pet", 60)],))
    first.start()
    assert first_written.wait(10)
    second.start()
    second.join(0.5)
    assert second.is_alive()  # waiting for the first writer's transaction
    first_may_commit.set()
    first.join(10)
    second.join(10)

    assert errors == []
    tags = AITag.objects.filter(asset=asset).values_list("name", "confidence")
    assert sorted(tags) == [("Cat", Decimal("70.00")), ("Pet", Decimal("60.00"))]
    assert Asset.objects.get(pk=asset.pk).has_ai_tags is True
