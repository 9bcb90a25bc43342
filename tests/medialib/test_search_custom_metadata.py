"""`"customMetadata.X"` in searchQuery, compared by the type of the field declared as X.

Values are stored as the upload and update paths store them (dates in UTC to the
millisecond, MultiSelect values as lists); the same tests run on SQLite and on
PostgreSQL (DATABASE_URL).
"""

from __future__ import annotations

import pytest

from core.exceptions import BadRequest
from medialib.models import Asset, AssetVersion
from medialib.search import compile_query, parse, search_q
from medialib.services import clean_custom_metadata
from tests.factories import AssetFactory, CustomMetadataFieldFactory

pytestmark = pytest.mark.django_db

FIELDS = {
    "price": {"type": "Number"},
    "released": {"type": "Date"},
    "sale": {"type": "Boolean"},
    "brand": {"type": "Text"},
    "notes": {"type": "Textarea"},
    "fit": {"type": "SingleSelect", "selectOptions": ["S", "M", "L"]},
    "shoe": {"type": "SingleSelect", "selectOptions": [38, 40, 42]},
    "colours": {"type": "MultiSelect", "selectOptions": ["red", "blue", "green"]},
}


@pytest.fixture
def catalogue(db) -> dict[str, Asset]:
    for name, schema in FIELDS.items():
        CustomMetadataFieldFactory(name=name, schema=schema)
    CustomMetadataFieldFactory(name="legacy", schema={"type": "Number"}, deleted=True)

    def asset(name: str, **values) -> Asset:
        return AssetFactory(name=name, custom_metadata=clean_custom_metadata(values))

    assets = {
        "a": asset(
            "a",
            price=120,
            released="2024-01-01",
            sale=True,
            brand="Nike",
            notes="Runs small",
            fit="M",
            shoe=38,
            colours=["red", "blue"],
        ),
        "b": asset(
            "b",
            price=80.5,
            released="2024-01-01T18:30:00+02:00",
            sale=False,
            brand="Adidas",
            fit="L",
            shoe=40,
            colours="green",
        ),
        # 23:00 two hours behind UTC is already 1 January in UTC.
        "c": asset(
            "c", price=9, released="2023-12-31T23:00:00-02:00", brand="nike", colours=["blue"]
        ),
        "d": asset("d"),
        # Stored before the fields were declared, of other types: never a match.
        "e": AssetFactory(
            name="e",
            custom_metadata={
                "price": "120",
                "released": 20240101,
                "sale": "true",
                "brand": 5,
                "colours": {"red": "red"},
                "legacy": 7,
            },
        ),
    }
    Asset.objects.filter(pk=assets["d"].pk).update(custom_metadata={"legacy": 3})
    return assets


def matching(text: str) -> set[str]:
    return set(Asset.objects.filter(search_q(text)).values_list("name", flat=True))


def test_it_stores_dates_in_utc_to_the_millisecond_and_multiselect_values_as_lists(catalogue):
    stored = {name: asset.custom_metadata for name, asset in catalogue.items()}
    assert stored["a"]["released"] == "2024-01-01T00:00:00.000Z"
    assert stored["b"]["released"] == "2024-01-01T16:30:00.000Z"
    assert stored["c"]["released"] == "2024-01-01T01:00:00.000Z"
    assert stored["b"]["colours"] == ["green"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("= 120", {"a"}),
        ("= 120.0", {"a"}),
        ('= "80.5"', {"b"}),
        ("NOT = 120", {"b", "c", "d", "e"}),
        ("< 80.5", {"c"}),
        ("<= 80.5", {"b", "c"}),
        ("> 80.5", {"a"}),
        (">= 80.5", {"a", "b"}),
        ("IN [9, 120]", {"a", "c"}),
        ("NOT IN [9, 120]", {"b", "d", "e"}),
    ],
)
def test_it_compares_a_number_field_numerically(catalogue, query, expected):
    assert matching(f'"customMetadata.price" {query}') == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # A date alone is that whole day in UTC, as for createdAt.
        ('= "2024-01-01"', {"a", "b", "c"}),
        ('NOT = "2024-01-01"', {"d", "e"}),
        ('= "2023-12-31"', set()),
        # A date and time is that moment, whatever the offset it is written with.
        ('= "2024-01-01T16:30:00Z"', {"b"}),
        ('= "2024-01-01T18:30:00+02:00"', {"b"}),
        ('= "2024-01-01T16:30:00"', {"b"}),
        ('< "2024-01-01T01:00:00Z"', {"a"}),
        ('<= "2024-01-01T01:00:00Z"', {"a", "c"}),
        ('> "2024-01-01T01:00:00Z"', {"b"}),
        ('>= "2024-01-01T01:00:00Z"', {"b", "c"}),
        ('> "2023-12-31"', {"a", "b", "c"}),
        ('< "2024-01-02"', {"a", "b", "c"}),
        ('< "7d"', {"a", "b", "c"}),
        ('> "7d"', set()),
    ],
)
def test_it_compares_a_date_field_as_dates(catalogue, query, expected):
    assert matching(f'"customMetadata.released" {query}') == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("= true", {"a"}),
        ("= false", {"b"}),
        ('= "true"', {"a"}),
        ("NOT = true", {"b", "c", "d", "e"}),
    ],
)
def test_it_compares_a_boolean_field_as_booleans(catalogue, query, expected):
    assert matching(f'"customMetadata.sale" {query}') == expected


@pytest.mark.parametrize(
    ("field", "query", "expected"),
    [
        ("brand", '= "Nike"', {"a"}),
        ("brand", "= Nike", {"a"}),
        ("brand", '= "5"', set()),  # e's 5 is a number, not the text "5"
        ("brand", ': "Ni"', {"a"}),
        ("brand", ': "ni"', {"c"}),
        ("brand", ': "%"', set()),
        ("brand", 'IN ["Nike", "Adidas"]', {"a", "b"}),
        ("brand", 'NOT IN ["Nike", "Adidas"]', {"c", "d", "e"}),
        ("brand", 'NOT = "Nike"', {"b", "c", "d", "e"}),
        ("notes", ': "Runs"', {"a"}),
        ("notes", '= "Runs small"', {"a"}),
        ("fit", '= "M"', {"a"}),
        ("fit", 'IN ["M", "L"]', {"a", "b"}),
        ("fit", ': "L"', {"b"}),
        ("fit", 'NOT = "M"', {"b", "c", "d", "e"}),
    ],
)
def test_it_compares_text_and_single_select_fields_as_strings(catalogue, field, query, expected):
    assert matching(f'"customMetadata.{field}" {query}') == expected


def test_it_compares_a_select_field_as_the_type_of_its_options(catalogue):
    assert matching('"customMetadata.shoe" = 38') == {"a"}
    assert matching('"customMetadata.shoe" = "38"') == {"a"}
    assert matching('"customMetadata.shoe" IN [40, 42]') == {"b"}
    assert matching('"customMetadata.shoe" NOT IN [40, 42]') == {"a", "c", "d", "e"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('= "blue"', {"a", "c"}),
        ('= "green"', {"b"}),
        ('IN ["green", "red"]', {"a", "b"}),
        ('NOT = "blue"', {"b", "d", "e"}),
        ('NOT IN ["green", "red"]', {"c", "d", "e"}),
        (': "gr"', {"b"}),
        (': "re"', {"a"}),
    ],
)
def test_it_matches_a_multiselect_field_when_any_element_matches(catalogue, query, expected):
    assert matching(f'"customMetadata.colours" {query}') == expected


def test_it_searches_the_values_of_a_deleted_field_by_its_type(catalogue):
    assert matching('"customMetadata.legacy" = "7"') == {"e"}
    assert matching('"customMetadata.legacy" < 5') == {"d"}


def test_it_combines_custom_metadata_conditions_with_others(catalogue):
    query = (
        '("customMetadata.released" = "2024-01-01" OR "customMetadata.colours" = "green") '
        'AND name IN ["c", "d"]'
    )
    assert matching(query) == {"c"}


def test_it_searches_the_custom_metadata_of_file_versions(catalogue):
    q = compile_query(parse('"customMetadata.colours" = "blue"'), kind="file-version")
    names = set(AssetVersion.objects.filter(q).values_list("asset__name", flat=True))
    assert names == {"a", "c"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            '"customMetadata.shoes" = 1',
            "Unknown field 'customMetadata.shoes' at position 0: no custom metadata field",
        ),
        (
            '"customMetadata.price" > "cheap"',
            "Invalid value 'cheap' for field 'customMetadata.price' at position 25: "
            "expected a number",
        ),
        (
            '"customMetadata.price" IN [1, two]',
            "Invalid value 'two' for field 'customMetadata.price'",
        ),
        (
            '"customMetadata.released" > "soon"',
            "Invalid value 'soon' for field 'customMetadata.released'",
        ),
        (
            '"customMetadata.released" = 2024',
            "Invalid value '2024' for field 'customMetadata.released'",
        ),
        ('"customMetadata.sale" = yes', "Invalid value 'yes' for field 'customMetadata.sale'"),
        (
            '"customMetadata.shoe" = "big"',
            "Invalid value 'big' for field 'customMetadata.shoe' at position 24: expected a number",
        ),
        ('"customMetadata.shoe" : "3"', "expected one of the field's selectOptions, not a prefix"),
        (
            '"customMetadata.price" : "1"',
            "Operator ':' is not supported for field 'customMetadata.price' (Number)",
        ),
        (
            '"customMetadata.sale" > false',
            "Operator '>' is not supported for field 'customMetadata.sale'",
        ),
        ('"customMetadata.released" IN ["2024-01-01"]', "Operator 'IN' is not supported"),
        (
            '"customMetadata.brand" < "N"',
            "Operator '<' is not supported for field 'customMetadata.brand'",
        ),
        ('"customMetadata.colours" >= "red"', "Operator '>=' is not supported"),
    ],
)
def test_it_refuses_unknown_fields_and_values_of_the_wrong_type_naming_the_field(
    catalogue, query, message
):
    with pytest.raises(BadRequest) as raised:
        search_q(query)

    assert message in raised.value.message


def test_it_compares_by_the_value_while_no_field_is_declared(db):
    AssetFactory(name="x", custom_metadata={"anything": 3, "tags": ["a", "b"]})

    assert matching('"customMetadata.anything" >= 3') == {"x"}
    assert matching('"customMetadata.anything" = "3"') == set()
    assert matching('"customMetadata.tags" = "b"') == {"x"}
    assert matching('"customMetadata.nothing" NOT = 1') == {"x"}
