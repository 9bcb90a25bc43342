"""The panel's custom metadata form: an input per field type, and its POST
(/assets/<fileId>/metadata/), checked by the service the API uses."""

from __future__ import annotations

import re

import pytest

from medialib.models import Asset
from tests.factories import AssetFactory, CustomMetadataFieldFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields():
    CustomMetadataFieldFactory(
        name="brand",
        label="Brand",
        schema={
            "type": "Text",
            "minLength": 2,
            "maxLength": 10,
            "isValueRequired": True,
            "defaultValue": "none",
        },
    )
    CustomMetadataFieldFactory(name="notes", label="Notes", schema={"type": "Textarea"})
    CustomMetadataFieldFactory(
        name="price", label="Price", schema={"type": "Number", "minValue": 0, "maxValue": 100}
    )
    CustomMetadataFieldFactory(
        name="shot", label="Shot on", schema={"type": "Date", "maxValue": "2030-12-31"}
    )
    CustomMetadataFieldFactory(name="sale", label="On sale", schema={"type": "Boolean"})
    CustomMetadataFieldFactory(
        name="fit", label="Fit", schema={"type": "SingleSelect", "selectOptions": ["S", "M", 7]}
    )
    CustomMetadataFieldFactory(
        name="colours",
        label="Colours",
        schema={"type": "MultiSelect", "selectOptions": ["red", "blue", "green"]},
    )
    CustomMetadataFieldFactory(name="legacy", label="Legacy", schema={"type": "Text"}, deleted=True)


@pytest.fixture
def asset(fields) -> Asset:
    return AssetFactory(
        custom_metadata={
            "brand": "Nike",
            "price": 12.5,
            "shot": "2024-03-01T10:30:00.000Z",
            "sale": True,
            "fit": 7,
            "colours": ["red", "green"],
            "legacy": "kept",
            "free": 1,
        }
    )


def panel_html(user_client, asset: Asset) -> str:
    return user_client.get(f"/assets/{asset.file_id}/").content.decode()


def save(user_client, asset: Asset, **values):
    data = {f"metadata-{name}": value for name, value in values.items()}
    return user_client.post(f"/assets/{asset.file_id}/metadata/", data)


VALID = {
    "brand": "Adidas",
    "notes": "Runs small",
    "price": "99",
    "shot": "2024-05-02",
    "sale": "on",
    "fit": '"M"',
    "colours": ['"blue"', '"red"'],
}


def test_it_renders_an_input_per_field_type_with_the_stored_values(user_client, asset):
    html = panel_html(user_client, asset)
    form = html.split('data-action="save-metadata"')[1].split("</form>")[0]

    assert re.search(
        r'<input type="text" id="metadata-brand" name="metadata-brand" value="Nike" '
        r'minlength="2" maxlength="10" required>',
        form,
    )
    assert '<textarea id="metadata-notes" name="metadata-notes"' in form
    assert (
        '<input type="number" id="metadata-price" name="metadata-price" value="12.5" step="any" '
        'min="0" max="100">' in form
    )
    assert (
        '<input type="date" id="metadata-shot" name="metadata-shot" value="2024-03-01" '
        'max="2030-12-31">' in form
    )
    assert '<input type="checkbox" id="metadata-sale" name="metadata-sale" checked>' in form
    assert '<option value="7" selected>7</option>' in form
    assert '<option value="&quot;M&quot;">M</option>' in form
    assert 'value="&quot;red&quot;" checked> red' in form
    assert 'value="&quot;blue&quot;"> blue' in form
    assert 'value="&quot;green&quot;" checked> green' in form
    # Required fields are marked; a deleted field is not edited, its value is shown as kept.
    assert 'Brand <span class="required" title="Required">*</span>' in form
    assert "metadata-legacy" not in form
    assert '<dt>legacy</dt><dd class="break"><code>&quot;kept&quot;</code>' in form


def test_it_shows_no_form_while_no_field_is_declared(user_client):
    asset = AssetFactory(custom_metadata={"free": 1})

    assert 'data-action="save-metadata"' not in panel_html(user_client, asset)


def test_it_saves_a_value_of_each_type_keeping_values_the_form_does_not_edit(user_client, asset):
    response = save(user_client, asset, **VALID)

    assert response.status_code == 200
    asset.refresh_from_db()
    assert asset.custom_metadata == {
        "brand": "Adidas",
        "notes": "Runs small",
        "price": 99,
        "shot": "2024-05-02T00:00:00.000Z",
        "sale": True,
        "fit": "M",
        "colours": ["blue", "red"],
        "legacy": "kept",
        "free": 1,
    }
    assert response.json()["customMetadata"] == asset.custom_metadata


def test_it_clears_empty_inputs_and_saves_an_unchecked_box_as_false(user_client, asset):
    response = save(user_client, asset, brand="Nike", price="", shot="", fit="")

    assert response.status_code == 200
    asset.refresh_from_db()
    assert asset.custom_metadata == {"brand": "Nike", "sale": False, "legacy": "kept", "free": 1}


def test_it_keeps_the_time_of_a_date_left_unchanged(user_client, asset):
    save(user_client, asset, brand="Nike", shot="2024-03-01", price="0.5")

    asset.refresh_from_db()
    assert asset.custom_metadata["shot"] == "2024-03-01T10:30:00.000Z"
    assert asset.custom_metadata["price"] == 0.5


@pytest.mark.parametrize(
    ("changes", "message", "field"),
    [
        ({"brand": ""}, "Brand is required.", "brand"),
        ({"brand": "N"}, "Brand is shorter than 2 characters.", "brand"),
        ({"brand": "A" * 11}, "Brand is longer than 10 characters.", "brand"),
        ({"price": "cheap"}, "Price must be a number.", "price"),
        ({"price": "1e999"}, "Price must be a number.", "price"),
        ({"price": "101"}, "Price is more than 100.", "price"),
        ({"price": "-1"}, "Price is less than 0.", "price"),
        ({"shot": "31/12/2024"}, "Shot on must be an ISO 8601 date.", "shot"),
        ({"shot": "2031-01-01"}, "Shot on is after 2030-12-31.", "shot"),
        ({"fit": '"XL"'}, "Fit must be one of the field's selectOptions.", "fit"),
        ({"fit": "not json"}, "Fit must be one of its options.", "fit"),
        (
            {"colours": ['"red"', '"pink"']},
            "Colours must be among the field's selectOptions.",
            "colours",
        ),
    ],
)
def test_it_refuses_an_invalid_value_naming_the_field_and_saves_nothing(
    user_client, asset, changes, message, field
):
    before = dict(asset.custom_metadata)

    response = save(user_client, asset, **(VALID | changes))

    assert response.status_code == 400
    assert response.json() == {"message": message, "field": field}
    asset.refresh_from_db()
    assert asset.custom_metadata == before


def test_it_needs_the_permission_to_change_files(client, asset):
    client.force_login(UserFactory(username="viewer", is_staff=True))

    response = save(client, asset, **VALID)

    assert response.status_code == 403
    asset.refresh_from_db()
    assert asset.custom_metadata["brand"] == "Nike"


def test_it_answers_404_for_a_file_that_does_not_exist(user_client, fields):
    response = user_client.post("/assets/0123456789abcdef01234567/metadata/", {})

    assert response.status_code == 404


def test_it_takes_posts_only(user_client, asset):
    assert user_client.get(f"/assets/{asset.file_id}/metadata/").status_code == 405
