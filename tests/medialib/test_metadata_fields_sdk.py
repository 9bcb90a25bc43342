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
