"""`customMetadata` values in the forms they are stored in, and the migration that
gave values stored before those forms the same."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from core.exceptions import BadRequest
from medialib.models import Asset
from medialib.services import clean_custom_metadata
from tests.factories import AssetFactory, CustomMetadataFieldFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2024-01-31", "2024-01-31T00:00:00.000Z"),
        ("2024-01-31T10:00:00Z", "2024-01-31T10:00:00.000Z"),
        ("2024-01-31T10:00:00+02:00", "2024-01-31T08:00:00.000Z"),
        ("2024-01-31T23:30:00-01:00", "2024-02-01T00:30:00.000Z"),
        ("2024-01-31T10:00:00.123456", "2024-01-31T10:00:00.123Z"),
    ],
)
def test_it_stores_a_date_in_utc_to_the_millisecond(given, stored):
    CustomMetadataFieldFactory(name="shot", schema={"type": "Date"})

    assert clean_custom_metadata({"shot": given}) == {"shot": stored}


def test_it_checks_date_limits_at_the_moment_given_whatever_its_offset():
    CustomMetadataFieldFactory(name="shot", schema={"type": "Date", "minValue": "2024-01-01"})

    # 01:00 two hours ahead of UTC is 23:00 UTC on 31 December.
    with pytest.raises(BadRequest, match=r"customMetadata\.shot is before 2024-01-01"):
        clean_custom_metadata({"shot": "2024-01-01T01:00:00+02:00"})
    assert clean_custom_metadata({"shot": "2024-01-01T01:00:00-02:00"}) == {
        "shot": "2024-01-01T03:00:00.000Z"
    }


def test_it_stores_a_multiselect_value_given_alone_as_a_list_and_defaults_in_stored_form():
    CustomMetadataFieldFactory(
        name="colours", schema={"type": "MultiSelect", "selectOptions": ["red", "blue"]}
    )
    CustomMetadataFieldFactory(name="shot", schema={"type": "Date", "defaultValue": "2020-05-01"})

    assert clean_custom_metadata({"colours": "red"}, new_file=True) == {
        "colours": ["red"],
        "shot": "2020-05-01T00:00:00.000Z",
    }


def test_the_migration_gives_stored_values_their_stored_forms():
    migration = importlib.import_module("medialib.migrations.0010_custom_metadata_stored_forms")
    CustomMetadataFieldFactory(name="shot", schema={"type": "Date"})
    CustomMetadataFieldFactory(
        name="colours", schema={"type": "MultiSelect", "selectOptions": ["red"]}, deleted=True
    )
    dated = AssetFactory(custom_metadata={"shot": "2024-01-31T10:00:00+02:00", "colours": "red"})
    odd = AssetFactory(custom_metadata={"shot": "last summer", "other": "2024-01-31"})
    before = Asset.objects.get(pk=dated.pk).updated_at

    migration.stored_forms(apps, None)

    dated.refresh_from_db()
    odd.refresh_from_db()
    assert dated.custom_metadata == {"shot": "2024-01-31T08:00:00.000Z", "colours": ["red"]}
    assert odd.custom_metadata == {"shot": "last summer", "other": "2024-01-31"}
    assert dated.updated_at == before
