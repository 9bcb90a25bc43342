"""The input rules: one `clean_` function per rule, naming the field it was given."""

from __future__ import annotations

import pytest

from core.exceptions import BadRequest
from medialib.services import (
    clean_ai_tag_names,
    clean_file_ids,
    clean_file_name,
    clean_file_path,
    clean_folder_path,
    clean_single_name,
    clean_tag_names,
)


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ("", "/"),
        ("/", "/"),
        ("  ", "/"),
        ("/a/b/", "/a/b"),
        ("a//b", "/a/b"),
        (" a / b ", "/a/b"),
        ("/sale & more/", "/sale _ more"),
        ("/été/photos", "/été/photos"),
    ],
)
def test_a_folder_path_is_cleaned_one_way(raw, path):
    assert clean_folder_path(raw) == path


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("/a/../b", 'folder must not contain "." or ".." segments.'),
        ("/a/./b", 'folder must not contain "." or ".." segments.'),
        ("a\\b", "folder must not contain backslashes."),
        ("/a\x00", "folder must not contain control characters."),
        ("/d" * 51, "folder is nested deeper than 50 levels."),
        ("/" + "x" * 256, "A folder name is longer than 255 characters."),
    ],
)
def test_a_folder_path_is_refused_naming_the_field_it_came_in(raw, problem):
    with pytest.raises(BadRequest) as upload_folder:
        clean_folder_path(raw)
    with pytest.raises(BadRequest) as other_field:
        clean_folder_path(raw, field="destinationPath")

    assert upload_folder.value.message == problem
    assert other_field.value.message == f"destinationPath: {problem}"


@pytest.mark.parametrize("raw", [None, 5, ["/a"]])
def test_a_folder_path_must_be_a_string(raw):
    with pytest.raises(BadRequest) as raised:
        clean_folder_path(raw, field="folderPath")

    assert raised.value.message == "folderPath must be a string."


def test_a_file_path_is_a_folder_path_naming_a_file():
    assert clean_file_path("a//b.png", field="filePath") == "/a/b.png"
    with pytest.raises(BadRequest, match=r"filePath must name a file, not a folder."):
        clean_file_path("/a/", field="filePath")
    with pytest.raises(BadRequest, match=r"filePath is required and must be a string."):
        clean_file_path(" ", field="filePath")


def test_a_file_name_rule_names_the_field():
    assert clean_file_name("a/b\\c.png") == "a_b_c.png"
    with pytest.raises(BadRequest) as raised:
        clean_file_name("x" * 300, field="newFileName")

    assert raised.value.message == "newFileName is longer than 255 characters."


@pytest.mark.parametrize("raw", ["a/b", "..", "."])
def test_a_single_name_is_never_a_path(raw):
    with pytest.raises(BadRequest) as raised:
        clean_single_name(raw, field="folderName")

    assert raised.value.message == "folderName must be a name, not a path."


@pytest.mark.parametrize(
    ("raw", "cleaned"), [("all", "all"), ([], []), (["Dog", "Cat"], ["Dog", "Cat"])]
)
def test_remove_ai_tags_takes_all_or_names(raw, cleaned):
    assert clean_ai_tag_names(raw) == cleaned


@pytest.mark.parametrize("raw", [None, 5, "Dog", [""], ["Dog", 5]])
def test_remove_ai_tags_is_refused_in_one_message(raw):
    with pytest.raises(BadRequest) as raised:
        clean_ai_tag_names(raw)

    assert raised.value.message == 'removeAITags must be "all" or a list of AI tag names.'


def test_tag_names_are_trimmed_and_deduplicated_like_tags():
    assert clean_tag_names([" sale ", "sale", "new"], field="AITags") == ["sale", "new"]
    with pytest.raises(BadRequest, match=r"AITags must be a non-empty array of strings."):
        clean_tag_names("sale", field="AITags")


def test_file_ids_keep_their_order_without_duplicates():
    assert clean_file_ids(["b", "a", "b"]) == ["b", "a"]
