"""The `extensions` array is checked as a whole, with messages naming item and field."""

from __future__ import annotations

import json

import pytest

from core.exceptions import BadRequest
from extensions.services import ExtensionRequest, clean_extensions

TAGGING = {"name": "google-auto-tagging", "minConfidence": 50, "maxTags": 5}


@pytest.mark.parametrize("empty", [None, "", [], "[]"])
def test_it_returns_nothing_for_no_extensions(empty) -> None:
    assert clean_extensions(empty) == []


def test_it_accepts_every_public_extension_from_a_json_string() -> None:
    raw = json.dumps(
        [
            TAGGING,
            {"name": "aws-auto-tagging", "minConfidence": 0, "maxTags": 30},
            {"name": "local-auto-tagging", "minConfidence": 99.5, "maxTags": 1},
            {"name": "remove-bg"},
            {"name": "local-remove-bg", "options": {"add_shadow": True}},
        ]
    )

    requests = clean_extensions(raw)

    assert requests == [
        ExtensionRequest("google-auto-tagging", {"minConfidence": 50, "maxTags": 5}),
        ExtensionRequest("aws-auto-tagging", {"minConfidence": 0, "maxTags": 30}),
        ExtensionRequest("local-auto-tagging", {"minConfidence": 99.5, "maxTags": 1}),
        ExtensionRequest("remove-bg", {"options": {}}),
        ExtensionRequest("local-remove-bg", {"options": {"add_shadow": True}}),
    ]


def test_it_takes_the_sdks_snake_case_spelling_of_auto_tagging_fields() -> None:
    raw = json.dumps(
        [
            {"name": "google-auto-tagging", "max_tags": 5, "min_confidence": 80},
            # Both spellings of the same value are one parameter given twice: accepted.
            {"name": "aws-auto-tagging", "maxTags": 3, "max_tags": 3, "min_confidence": 0},
        ]
    )

    assert clean_extensions(raw) == [
        ExtensionRequest("google-auto-tagging", {"minConfidence": 80, "maxTags": 5}),
        ExtensionRequest("aws-auto-tagging", {"minConfidence": 0, "maxTags": 3}),
    ]


def test_it_accepts_the_full_documented_ranges() -> None:
    low, high = clean_extensions(
        [
            {"name": "google-auto-tagging", "minConfidence": 0, "maxTags": 0},
            {"name": "aws-auto-tagging", "minConfidence": 100, "maxTags": 30},
        ]
    )

    assert low.params == {"minConfidence": 0, "maxTags": 0}
    assert high.params == {"minConfidence": 100, "maxTags": 30}


def test_it_takes_a_whole_float_as_max_tags() -> None:
    (request,) = clean_extensions([{**TAGGING, "maxTags": 7.0}])

    assert request.params["maxTags"] == 7
    assert isinstance(request.params["maxTags"], int)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("not json", "extensions must be a JSON array"),
        ({"name": "google-auto-tagging"}, "extensions must be a JSON array"),
        ('{"name": "remove-bg"}', "extensions must be a JSON array"),
        (42, "extensions must be a JSON array"),
        (["remove-bg"], "extensions[0]: each extension must be an object"),
        ([TAGGING, None], "extensions[1]: each extension must be an object"),
        ([{"minConfidence": 5, "maxTags": 5}], "extensions[0]: name is required"),
        ([{"name": 7}], "extensions[0]: name is required"),
        ([{"id": "ext_123"}], "extensions[0]: name is required"),
        (
            [{"name": "saved-extension", "id": "ext_123"}],
            "extensions[0] (saved-extension): no saved extension with id 'ext_123'",
        ),
        (
            [{"name": "ai-auto-description"}],
            "extensions[0] (ai-auto-description): the "
            "extension 'ai-auto-description' is not offered by the self-hosted media library",
        ),
        (
            [{"name": "ai-tasks", "tasks": []}],
            "extensions[0] (ai-tasks): the extension 'ai-tasks' is not offered",
        ),
        ([{"name": "face-blur"}], "extensions[0] (face-blur): unknown extension name"),
        (
            [{**TAGGING, "colour": "red"}],
            "extensions[0] (google-auto-tagging): unknown key 'colour'",
        ),
        (
            [{"name": "remove-bg", "minConfidence": 5}],
            "extensions[0] (remove-bg): unknown key 'minConfidence'",
        ),
        (
            [{"name": "aws-auto-tagging", "maxTags": 5}],
            "extensions[0] (aws-auto-tagging): minConfidence is required",
        ),
        (
            [{"name": "aws-auto-tagging", "minConfidence": 5}],
            "extensions[0] (aws-auto-tagging): maxTags is required",
        ),
        ([{**TAGGING, "minConfidence": -1}], "minConfidence must be between 0 and 100"),
        ([{**TAGGING, "minConfidence": 100.5}], "minConfidence must be between 0 and 100"),
        ([{**TAGGING, "minConfidence": "50"}], "minConfidence must be a number"),
        ([{**TAGGING, "minConfidence": True}], "minConfidence must be a number"),
        ([{**TAGGING, "maxTags": -1}], "maxTags must be between 0 and 30"),
        ([{**TAGGING, "maxTags": 31}], "maxTags must be between 0 and 30"),
        ([{**TAGGING, "max_tags": 6}], "maxTags and max_tags are the same parameter and differ"),
        (
            [{**TAGGING, "min_confidence": 51}],
            "minConfidence and min_confidence are the same parameter and differ",
        ),
        ([{"name": "aws-auto-tagging", "max_tags": 99, "min_confidence": 5}], "maxTags must be"),
        ([{**TAGGING, "maxTags": 2.5}], "maxTags must be a whole number"),
        ([{**TAGGING, "maxTags": "5"}], "maxTags must be a number"),
        ([{**TAGGING, "maxTags": None}], "maxTags is required"),
        (
            [TAGGING, {"name": "remove-bg"}, TAGGING],
            "extensions[2] (google-auto-tagging): duplicate extension",
        ),
        (
            [{"name": "remove-bg", "options": "shadow"}],
            "extensions[0] (remove-bg): options must be an object",
        ),
        (
            [{"name": "remove-bg", "options": {"wings": True}}],
            "extensions[0] (remove-bg): Unknown remove-bg option 'wings'",
        ),
    ],
)
@pytest.mark.django_db  # a saved extension's id is looked up
def test_it_refuses_invalid_extensions_naming_item_and_field(raw, expected) -> None:
    with pytest.raises(BadRequest) as caught:
        clean_extensions(raw)

    assert expected in caught.value.message
    assert caught.value.status_code == 400


def test_it_names_the_offending_field_in_the_error_body() -> None:
    with pytest.raises(BadRequest) as caught:
        clean_extensions([{"name": "google-auto-tagging", "minConfidence": 50, "maxTags": 99}])

    assert caught.value.body()["field"] == "maxTags"
