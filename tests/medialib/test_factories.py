import pytest
from django.core.files.storage import default_storage

from tests.factories import AssetFactory, make_image_bytes


@pytest.mark.django_db
def test_it_stores_the_version_bytes_of_a_factory_asset():
    content = make_image_bytes((10, 20), "blue")

    asset = AssetFactory(version=content)

    version = asset.current_version
    assert (version.width, version.height, version.mime) == (10, 20, "image/png")
    with default_storage.open(version.storage_key) as fh:
        assert fh.read() == content
