"""`Asset.has_ai_tags` follows the AI tag services, whatever writes or removes the tags."""

from __future__ import annotations

import pytest

from extensions.providers.base import Label
from medialib.models import Asset
from medialib.services import ai_tags_copy, ai_tags_remove, ai_tags_write
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db

GOOGLE, AWS = "google-auto-tagging", "aws-auto-tagging"


def flag(asset: Asset) -> bool:
    return Asset.objects.values_list("has_ai_tags", flat=True).get(pk=asset.pk)


def test_a_new_file_has_none_and_tagging_sets_it() -> None:
    asset = AssetFactory()
    assert flag(asset) is False

    ai_tags_write(asset=asset, source=GOOGLE, labels=[Label("Cat", 90)], replace=True)

    assert flag(asset) is True


def test_replacing_one_source_by_nothing_keeps_it_while_another_source_has_tags() -> None:
    asset = AssetFactory()
    ai_tags_write(asset=asset, source=GOOGLE, labels=[Label("Cat", 90)], replace=True)
    ai_tags_write(asset=asset, source=AWS, labels=[Label("Pet", 80)], replace=True)

    ai_tags_write(asset=asset, source=GOOGLE, labels=[], replace=True)
    assert flag(asset) is True

    ai_tags_write(asset=asset, source=AWS, labels=[], replace=True)
    assert flag(asset) is False


def test_removing_some_keeps_it_and_removing_all_clears_it() -> None:
    asset = AssetFactory()
    ai_tags_write(
        asset=asset, source=GOOGLE, labels=[Label("Cat", 90), Label("Pet", 80)], replace=True
    )

    ai_tags_remove(asset=asset, names=["Cat"])
    assert flag(asset) is True

    ai_tags_remove(asset=asset, names="all")
    assert flag(asset) is False


def test_a_copy_gets_it_with_the_tags() -> None:
    source, untagged_source = AssetFactory(), AssetFactory()
    ai_tags_write(asset=source, source=GOOGLE, labels=[Label("Cat", 90)], replace=True)
    copy, untagged_copy = AssetFactory(), AssetFactory()

    ai_tags_copy(source=source, to_asset=copy)
    ai_tags_copy(source=untagged_source, to_asset=untagged_copy)

    assert (flag(copy), flag(untagged_copy)) == (True, False)
