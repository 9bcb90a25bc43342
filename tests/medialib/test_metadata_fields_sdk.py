"""Custom metadata fields through the SDK, and `customMetadata` checked against them."""

from __future__ import annotations

import pytest
from imagekitio import BadRequestError, ImageKit

from medialib.models import Asset
from medialib.services import api_key_create
from tests.factories import make_image_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def client(live_server, transactional_db) -> ImageKit:
    issued = api_key_create(name="sdk fields")
    return ImageKit(
        private_key=issued.private_key,
        base_url=live_server.url,
        max_retries=0,
        _strict_response_validation=True,
    )


def upload(client: ImageKit, **details):
    return client.files.upload(file=make_image_bytes((8, 8), "red"), file_name="m.png", **details)


def test_fields_are_managed_and_values_checked_against_them(client: ImageKit):
    price = client.custom_metadata_fields.create(
        name="price", label="Price", schema={"type": "Number", "min_value": 0, "max_value": 100}
    )
    assert (price.schema_.type, price.schema_.max_value) == ("Number", 100)
    client.custom_metadata_fields.create(
        name="brand",
        label="Brand",
        schema={
            "type": "Text",
            "max_length": 10,
            "is_value_required": True,
            "default_value": "none",
        },
    )
    client.custom_metadata_fields.create(
        name="colours",
        label="Colours",
        schema={"type": "MultiSelect", "select_options": ["red", "blue"]},
    )
    with pytest.raises(BadRequestError, match="selectOptions"):
        client.custom_metadata_fields.create(
            name="size", label="Size", schema={"type": "SingleSelect"}
        )
    with pytest.raises(BadRequestError, match="already exists"):
        client.custom_metadata_fields.create(name="price", label="P2", schema={"type": "Number"})

    # Defaults apply; values are checked by type and range, naming the field.
    uploaded = upload(client, custom_metadata={"price": 10})
    assert client.files.get(uploaded.file_id).custom_metadata == {"price": 10, "brand": "none"}
    with pytest.raises(BadRequestError, match=r"customMetadata\.price is more than 100"):
        upload(client, custom_metadata={"price": 101})
    with pytest.raises(BadRequestError, match=r"customMetadata\.price must be a number"):
        client.files.update(uploaded.file_id, custom_metadata={"price": "cheap"})
    with pytest.raises(BadRequestError, match=r"customMetadata\.shoe is not a defined"):
        client.files.update(uploaded.file_id, custom_metadata={"shoe": 1})
    with pytest.raises(BadRequestError, match=r"customMetadata\.colours"):
        client.files.update(uploaded.file_id, custom_metadata={"colours": ["green"]})
    with pytest.raises(BadRequestError, match=r"customMetadata\.brand is required"):
        client.files.update(uploaded.file_id, custom_metadata={"brand": None})
    assert Asset.objects.count() == 1  # nothing stored by the refused uploads
    updated = client.files.update(
        uploaded.file_id, custom_metadata={"price": 5, "brand": "Nike", "colours": ["red"]}
    )
    assert updated.custom_metadata == {"price": 5, "brand": "Nike", "colours": ["red"]}

    changed = client.custom_metadata_fields.update(price.id, label="Price (EUR)")
    assert changed.label == "Price (EUR)"

    # A deleted field is hidden; files keep their values.
    client.custom_metadata_fields.delete(price.id)
    assert "price" not in [field.name for field in client.custom_metadata_fields.list()]
    assert "price" in [
        field.name for field in client.custom_metadata_fields.list(include_deleted=True)
    ]
    assert client.files.get(uploaded.file_id).custom_metadata["price"] == 5
    with pytest.raises(BadRequestError, match=r"customMetadata\.price is not a defined"):
        client.files.update(uploaded.file_id, custom_metadata={"price": 1})


def test_search_compares_custom_metadata_by_the_type_of_each_field(client: ImageKit):
    client.custom_metadata_fields.create(name="price", label="Price", schema={"type": "Number"})
    client.custom_metadata_fields.create(name="shot", label="Shot", schema={"type": "Date"})
    client.custom_metadata_fields.create(name="sale", label="Sale", schema={"type": "Boolean"})
    client.custom_metadata_fields.create(name="brand", label="Brand", schema={"type": "Text"})
    client.custom_metadata_fields.create(
        name="colours",
        label="Colours",
        schema={"type": "MultiSelect", "select_options": ["red", "blue", "green"]},
    )
    cheap = upload(
        client,
        custom_metadata={
            "price": 9.5,
            "shot": "2024-03-01T23:30:00-02:00",
            "sale": True,
            "brand": "Nike",
            "colours": ["red", "blue"],
        },
    ).file_id
    dear = upload(
        client,
        custom_metadata={"price": 120, "shot": "2024-03-01", "brand": "Adidas", "colours": "green"},
    ).file_id
    # The stored forms: a date in UTC to the millisecond, a list for a MultiSelect.
    assert client.files.get(cheap).custom_metadata["shot"] == "2024-03-02T01:30:00.000Z"
    assert client.files.get(dear).custom_metadata["colours"] == ["green"]

    def found(query: str) -> set[str]:
        return {item.file_id for item in client.assets.list(search_query=query)}

    assert found('"customMetadata.price" < 10') == {cheap}
    assert found('"customMetadata.price" IN [120, 7]') == {dear}
    assert found('"customMetadata.shot" = "2024-03-01"') == {dear}
    assert found('"customMetadata.shot" > "2024-03-02T00:00:00+01:00"') == {cheap}
    assert found('"customMetadata.sale" = true') == {cheap}
    assert found('"customMetadata.sale" NOT = true') == {dear}
    assert found('"customMetadata.brand" : "Adi"') == {dear}
    assert found('"customMetadata.colours" = "blue"') == {cheap}
    assert found('"customMetadata.colours" IN ["green", "red"]') == {cheap, dear}

    with pytest.raises(BadRequestError, match=r"Unknown field 'customMetadata\.size'"):
        client.assets.list(search_query='"customMetadata.size" = 1')
    with pytest.raises(BadRequestError, match=r"field 'customMetadata\.price' .*expected a number"):
        client.assets.list(search_query='"customMetadata.price" > "ten"')
