"""The OpenAPI schema covers the files API and the docs page renders."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

FILE_PATHS = ("/api/v1/files/upload", "/v1/files/{file_id}/details", "/v1/files/{file_id}")


def test_the_schema_documents_the_files_api_and_is_valid():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    validate_schema(schema)
    for path in FILE_PATHS:
        assert path in schema["paths"], path
    upload = schema["paths"]["/api/v1/files/upload"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"privateKey": []} in upload["security"]


def test_the_schema_generates_without_warnings(tmp_path):
    GENERATOR_STATS.reset()

    # --fail-on-warn raises on any warning or error of any view.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))


def test_the_schema_and_docs_are_served():
    assert Client().get("/api/schema/").status_code == 200
    assert Client().get("/api/docs/").status_code == 200
