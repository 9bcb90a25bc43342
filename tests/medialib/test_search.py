"""The searchQuery language: parsing, errors with positions, and what each field matches."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from core.exceptions import BadRequest
from medialib.models import AITag, Asset, AssetTag, AssetVersion, Folder
from medialib.search import And, Condition, Or, Scalar, parse, search_q
from tests.factories import AssetFactory, FolderFactory, TagFactory, make_image_bytes

# --- parsing ---------------------------------------------------------------------


def test_it_parses_a_condition():
    assert parse('name = "a.jpg"') == Condition("name", "=", Scalar("a.jpg", True, 7), 0)


@pytest.mark.parametrize(
    ("text", "operator"),
    [
        ("width>500", ">"),
        ("width >= 500", ">="),
        ("width<500", "<"),
        ("width<=500", "<="),
        ('name:"red"', ":"),
        ('name NOT = "a"', "NOT ="),
        ('tags not in ["a"]', "NOT IN"),
        ('tags in ["a"]', "IN"),
    ],
)
def test_it_reads_operators_with_or_without_spaces(text, operator):
    assert parse(text).operator == operator


def test_it_binds_and_tighter_than_or():
    tree = parse("width > 1 OR height > 2 AND size > 3")

    assert isinstance(tree, Or)
    assert tree.items[0].field == "width"
    assert isinstance(tree.items[1], And)
    assert [item.field for item in tree.items[1].items] == ["height", "size"]


def test_it_groups_with_parentheses():
    tree = parse("(width > 1 OR height > 2) AND size > 3")

    assert isinstance(tree, And)
    assert isinstance(tree.items[0], Or)


def test_it_reads_nested_parentheses():
    tree = parse('((((name = "a"))))')

    assert tree == Condition("name", "=", Scalar("a", True, 11), 4)


def test_it_reads_lists_single_quotes_and_escapes():
    tree = parse("""tags IN ["a b", 'c"d', "e\\"f", bare]""")

    assert [value.text for value in tree.value] == ["a b", 'c"d', 'e"f', "bare"]
    assert [value.quoted for value in tree.value] == [True, True, True, False]


def test_it_reads_a_quoted_field_name():
    assert parse('"customMetadata.brand" = "Nike"').field == "customMetadata.brand"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('(name = "a"))', "Unexpected token ')' at position 12"),
        ('name = "a" AND )', "Unexpected token ')' at position 15"),
        ('name = "a" AND', "Unexpected end of query at position 14"),
        ('name "a"', "Unexpected string \"a\" at position 5; expected an operator after 'name'"),
        ("name =", "Unexpected end of query at position 6; expected a value"),
        ('(name = "a"', "expected ')' to close the '(' at position 0"),
        ('name = "abc', "Unterminated string starting at position 7"),
        ('tags IN ["a", "b"', "Unexpected end of query at position 17; expected ',' or ']'"),
        ('name NOT : "a"', "expected IN or '=' after NOT"),
        ('name = "a" name = "b"', "Unexpected token 'name' at position 11"),
        ("= 5", "Unexpected token '=' at position 0; expected a field name"),
        ("   ", "The search query is empty."),
        ('name = "a\x00"', "Unexpected NUL character at position 9"),
    ],
)
def test_it_names_syntax_errors_and_their_position(text, message):
    with pytest.raises(BadRequest) as raised:
        parse(text)

    assert message in raised.value.message


def test_it_refuses_nesting_too_deep_without_recursing_forever():
    with pytest.raises(BadRequest, match="nest deeper than 32"):
        parse("(" * 2000 + 'name = "a"' + ")" * 2000)


def test_it_refuses_a_query_too_long():
    with pytest.raises(BadRequest, match="longer than 4096"):
        parse('name = "' + "a" * 5000 + '"')


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('colour = "red"', "Unknown field 'colour' at position 0"),
        ('name > "a"', "Operator '>' is not supported for field 'name'"),
        ('tags < "a"', "Operator '<' is not supported for field 'tags'"),
        ("private > true", "Operator '>' is not supported for field 'private'"),
        ('name IN "a"', "Operator 'IN' needs a list"),
        ('name = ["a"]', "takes one value, not a list"),
        ("tags IN []", "Empty list for field 'tags'"),
        ("width > wide", "Invalid value 'wide' for field 'width' at position 8: expected a number"),
        ('size > "1 parsec"', "Invalid value '1 parsec' for field 'size'"),
        ('createdAt > "yesterday"', "Invalid value 'yesterday' for field 'createdAt'"),
        ('createdAt > "2024-13-45"', "Invalid value '2024-13-45' for field 'createdAt'"),
        ("private = maybe", "expected true or false"),
        ('type = "image"', "expected file, file-version or folder"),
        ("width > 99999999999999999999999", "expected a number between"),
        ('"customMetadata.a.b" = 1', "Invalid custom metadata field 'a.b'"),
        ('"customMetadata.a b" = 1', "Invalid custom metadata field 'a b'"),
        ('"customMetadata." = 1', "Invalid custom metadata field ''"),
        ('path = "/a/../b"', "without '.' or '..'"),
        ('path = "/a\\\\b"', "without '.' or '..' segments, backslashes"),
    ],
)
def test_it_names_semantic_errors(text, message):
    with pytest.raises(BadRequest) as raised:
        search_q(text)

    assert message in raised.value.message


# --- matching --------------------------------------------------------------------


def matching(text: str) -> set[str]:
    return set(Asset.objects.filter(search_q(text)).values_list("name", flat=True))


def tag(asset: Asset, *names: str) -> None:
    for position, name in enumerate(names):
        AssetTag.objects.create(asset=asset, tag=TagFactory(name=name), position=position)


def ai_tag(asset: Asset, *names: str) -> None:
    for name in names:
        AITag.objects.create(asset=asset, name=name, confidence=90, source="google-auto-tagging")


@pytest.fixture
def library(db):
    """A small library: names, sizes, formats, flags, tags and metadata that differ."""
    shoes = FolderFactory(name="shoes", path="/shoes")
    red = FolderFactory(name="red", path="/shoes/red", parent=shoes)
    assets = {
        "red-dress-summer.jpg": AssetFactory(
            name="red-dress-summer.jpg",
            version=make_image_bytes((800, 600), fmt="JPEG"),
            custom_metadata={"brand": "Nike", "price": 120, "sale": True},
        ),
        "red-dress-winter.png": AssetFactory(
            name="red-dress-winter.png",
            version__size=(300, 200),
            is_private=True,
            custom_metadata={"brand": "Adidas", "price": 80},
        ),
        "Red-hat.png": AssetFactory(
            name="Red-hat.png",
            version=make_image_bytes((50, 50), mode="RGBA"),
            is_published=False,
        ),
        "boot.webp": AssetFactory(
            name="boot.webp",
            file_path="/shoes/boot.webp",
            folder=shoes,
            version=make_image_bytes((1000, 1000), fmt="WEBP"),
        ),
        "runner.png": AssetFactory(
            name="runner.png", file_path="/shoes/red/runner.png", folder=red
        ),
    }
    tag(assets["red-dress-summer.jpg"], "summer-sale", "banner")
    tag(assets["red-dress-winter.png"], "winter")
    ai_tag(assets["red-dress-summer.jpg"], "Dress", "Banner-ai")
    ai_tag(assets["boot.webp"], "Shoe")
    return assets


def test_it_matches_names_exactly_and_by_case_sensitive_prefix(library):
    assert matching('name = "boot.webp"') == {"boot.webp"}
    assert matching('name : "red-dress"') == {"red-dress-summer.jpg", "red-dress-winter.png"}
    assert matching('name : "Red"') == {"Red-hat.png"}
    assert matching('name IN ["boot.webp", "Red-hat.png"]') == {"boot.webp", "Red-hat.png"}
    assert "boot.webp" not in matching('name NOT = "boot.webp"')
    assert matching('name NOT IN ["boot.webp", "Red-hat.png", "runner.png"]') == {
        "red-dress-summer.jpg",
        "red-dress-winter.png",
    }


def test_it_treats_like_wildcards_in_a_prefix_literally(library):
    assert matching('name : "red_dress"') == set()
    assert matching('name : "%"') == set()


def test_it_matches_user_tags_and_ai_tags_once_each(library):
    # Two matching tags on the same file still give one row.
    assert list(
        Asset.objects.filter(search_q('tags IN ["summer-sale", "banner", "Dress"]')).values_list(
            "name", flat=True
        )
    ) == ["red-dress-summer.jpg"]
    assert matching('tags IN ["Shoe", "winter"]') == {"boot.webp", "red-dress-winter.png"}
    assert matching('tags = "Shoe"') == {"boot.webp"}
    assert matching('tags NOT IN ["Shoe", "winter", "banner"]') == {"Red-hat.png", "runner.png"}


def test_it_matches_ai_tags_only_with_the_aitags_field(library):
    assert matching('AITags IN ["Dress"]') == {"red-dress-summer.jpg"}
    assert matching('AITags IN ["summer-sale"]') == set()


def test_it_matches_dimensions_size_format_and_flags(library):
    assert matching("width > 500") == {"red-dress-summer.jpg", "boot.webp"}
    assert matching("height <= 50") == {"Red-hat.png", "runner.png"}
    assert matching("width IN [50, 300]") == {"Red-hat.png", "red-dress-winter.png"}
    assert matching("width NOT = 50") == set(library) - {"Red-hat.png"}
    big = Asset.objects.get(name="boot.webp").current_version.size
    assert matching(f"size >= {big}") >= {"boot.webp"}
    assert matching('size > "1mb"') == set()
    assert matching('size < "1mb"') == set(library)
    assert matching("format = jpeg") == {"red-dress-summer.jpg"}
    assert matching('format IN ["webp", "jpg"]') == {"red-dress-summer.jpg", "boot.webp"}
    assert matching("private = true") == {"red-dress-winter.png"}
    assert matching("published = false") == {"Red-hat.png"}
    assert matching("transparency = true") == {"Red-hat.png"}


@pytest.mark.django_db
def test_it_reads_sizes_with_units():
    AssetFactory(name="small.png")
    AssetVersion.objects.update(size=10 * 1024)

    assert matching('size = "10kb"') == {"small.png"}
    assert matching("size = 10240") == {"small.png"}
    assert matching('size < "0.5mb"') == {"small.png"}


def test_it_matches_dates_absolute_and_relative(library):
    now = timezone.now()
    Asset.objects.filter(name="boot.webp").update(
        created_at=now - dt.timedelta(days=10), updated_at=now - dt.timedelta(days=10)
    )
    Asset.objects.filter(name="runner.png").update(
        created_at=dt.datetime(2020, 1, 15, 12, tzinfo=dt.UTC)
    )
    recent = set(library) - {"boot.webp", "runner.png"}

    assert matching('createdAt > "7d"') == recent
    assert matching("createdAt > 2w") == recent | {"boot.webp"}
    assert matching('createdAt < "1y"') == {"runner.png"}
    assert matching("createdAt < 2020-01-16") == {"runner.png"}
    assert matching('createdAt = "2020-01-15"') == {"runner.png"}
    assert matching('createdAt > "2020-01-15T13:00:00"') == set(library) - {"runner.png"}
    assert matching('updatedAt < "7d"') == {"boot.webp"}


def test_it_matches_custom_metadata_by_the_type_of_the_value_while_no_field_is_declared(
    library,
):
    assert matching('"customMetadata.brand" = "Nike"') == {"red-dress-summer.jpg"}
    assert matching('"customMetadata.price" > 100') == {"red-dress-summer.jpg"}
    assert matching('"customMetadata.price" <= 100') == {"red-dress-winter.png"}
    assert matching('"customMetadata.brand" : "Adi"') == {"red-dress-winter.png"}
    assert matching('"customMetadata.brand" IN ["Nike", "Puma"]') == {"red-dress-summer.jpg"}
    assert matching('"customMetadata.sale" = true') == {"red-dress-summer.jpg"}
    # A quoted number is a string, which a number in the metadata is not.
    assert matching('"customMetadata.price" = "120"') == set()


def test_it_matches_folders_by_path(library):
    assert matching('path = "/shoes"') == {"boot.webp"}
    assert matching('path = "/shoes/"') == {"boot.webp"}
    assert matching('path = " shoes // red "') == {"runner.png"}
    assert matching('path : "/shoes"') == {"boot.webp", "runner.png"}
    assert matching('path = "/"') == set(library) - {"boot.webp", "runner.png"}
    assert matching('path IN ["/shoes", "/shoes/red"]') == {"boot.webp", "runner.png"}
    assert matching('path NOT = "/"') == {"boot.webp", "runner.png"}


def test_it_matches_file_ids(library):
    boot = library["boot.webp"]

    assert matching(f'id = "{boot.file_id}"') == {"boot.webp"}
    assert "boot.webp" not in matching(f'id NOT IN ["{boot.file_id}"]')


def test_it_applies_and_before_or(library):
    text = 'name = "boot.webp" OR name : "red-dress" AND private = true'

    assert matching(text) == {"boot.webp", "red-dress-winter.png"}
    assert matching(f"({text.replace(' OR', ') OR (', 1)})") == {
        "boot.webp",
        "red-dress-winter.png",
    }
    assert matching('(name = "boot.webp" OR name : "red-dress") AND private = true') == {
        "red-dress-winter.png"
    }


def test_it_folds_the_type_field_per_kind(library):
    assert matching('type = "file"') == set(library)
    assert matching('type = "folder"') == set()
    assert matching('type NOT = "folder" AND name = "boot.webp"') == {"boot.webp"}
    assert matching('type = "folder" OR name = "boot.webp"') == {"boot.webp"}
    folders = Folder.objects.filter(search_q('type = "folder" AND name = "red"', kind="folder"))
    assert [folder.path for folder in folders] == ["/shoes/red"]


def test_it_keeps_injection_attempts_as_values(library):
    hostile = 'name = "x\\"; DROP TABLE medialib_asset; --" OR name = "boot.webp"'

    assert matching(hostile) == {"boot.webp"}
    assert matching('name = "\') OR 1=1 --"') == set()
    assert "medialib_asset" in connection.introspection.table_names()
    assert Asset.objects.count() == len(library)
