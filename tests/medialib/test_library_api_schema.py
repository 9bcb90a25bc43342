"""The OpenAPI schema documents the list, bulk, version and path endpoints."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("/v1/files", "get"): "files_list",
    ("/v1/files/addTags", "post"): "files_add_tags",
    ("/v1/files/removeTags", "post"): "files_remove_tags",
    ("/v1/files/removeAITags", "post"): "files_remove_ai_tags",
    ("/v1/files/batch/deleteByFileIds", "post"): "files_bulk_delete",
    ("/v1/files/copy", "post"): "files_copy",
    ("/v1/files/move", "post"): "files_move",
    ("/v1/files/rename", "put"): "files_rename",
    ("/v1/folder", "post"): "folder_create",
    ("/v1/folder", "delete"): "folder_delete",
    ("/v1/files/{file_id}/versions", "get"): "files_versions_list",
    ("/v1/files/{file_id}/versions/{version_id}", "get"): "files_versions_get",
    ("/v1/files/{file_id}/versions/{version_id}", "delete"): "files_versions_delete",
    ("/v1/files/{file_id}/versions/{version_id}/restore", "put"): "files_versions_restore",
}


def test_the_schema_documents_every_operation():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    validate_schema(schema)
    for (path, method), operation_id in OPERATIONS.items():
        assert schema["paths"][path][method]["operationId"] == operation_id
    parameters = {p["name"] for p in schema["paths"]["/v1/files"]["get"]["parameters"]}
    assert {"type", "sort", "path", "fileType", "searchQuery", "skip", "limit"} <= parameters
