"""factory-boy factories shared by the whole suite.

Images are made in memory with Pillow (`make_image_bytes`); no fixture files.
"""

from __future__ import annotations

import hashlib
import io

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from medialib.models import Asset, AssetVersion, CustomMetadataField, Folder, Tag


def make_image_bytes(
    size: tuple[int, int] = (64, 48), color: str = "red", fmt: str = "PNG", mode: str = "RGB"
) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format=fmt)
    return buffer.getvalue()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    # Hashed once at import: hashing per user would make factories slow.
    password = make_password("password")


# As medialib's migration 0005 gives the "Library users" group.
LIBRARY_USERS_PERMISSIONS = (
    "use_library",
    "run_extensions",
    "add_asset",
    "change_asset",
    "delete_asset",
    "add_folder",
    "delete_folder",
)


class LibraryUserFactory(UserFactory):
    """A user in the "Library users" group (made by a migration): the library's role."""

    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def library_group(self, create: bool, extracted: object, **kwargs: object) -> None:
        if not create:
            return
        # Made by a migration; a transactional test's flush removes it, so make it again.
        group, made = Group.objects.get_or_create(name="Library users")
        if made:
            group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label="medialib",
                    codename__in=LIBRARY_USERS_PERMISSIONS,
                )
            )
        self.groups.add(group)


class FolderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Folder

    name = factory.Sequence(lambda n: f"folder{n}")
    path = factory.LazyAttribute(lambda folder: f"/{folder.name}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag{n}")


class AssetFactory(factory.django.DjangoModelFactory):
    """An image asset with one stored version (a small PNG)."""

    class Meta:
        model = Asset
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"image{n}.png")
    file_path = factory.LazyAttribute(lambda asset: f"/{asset.name}")
    file_type = Asset.FileType.IMAGE

    @factory.post_generation
    def version(asset: Asset, create: bool, extracted: bytes | None, **kwargs) -> None:
        if not create:
            return
        content = extracted or make_image_bytes(**kwargs)
        image = Image.open(io.BytesIO(content))
        key = default_storage.save(f"files/{asset.file_id}/v1/{asset.name}", ContentFile(content))
        version = AssetVersion.objects.create(
            asset=asset,
            number=1,
            storage_key=key,
            size=len(content),
            mime=Image.MIME[image.format],
            format=image.format.lower().replace("jpeg", "jpg"),
            width=image.width,
            height=image.height,
            has_alpha=image.mode in ("RGBA", "LA", "PA"),
            checksum=hashlib.sha256(content).hexdigest(),
        )
        asset.current_version = version
        asset.save(update_fields=["current_version"])


class CustomMetadataFieldFactory(factory.django.DjangoModelFactory):
    """A declared custom metadata field; `schema` as the fields API would have cleaned it."""

    class Meta:
        model = CustomMetadataField

    name = factory.Sequence(lambda n: f"field{n}")
    label = factory.LazyAttribute(lambda field: field.name.capitalize())
    schema = factory.Dict({"type": "Text"})
