"""GET /v1/files: list and search files, file versions and folders."""

from __future__ import annotations

from django.http import QueryDict
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import BadRequest
from medialib import listing, search
from medialib.api.library_docs import LIST_PARAMETERS, errors
from medialib.api.schema import FileObjectSerializer, FolderObjectSerializer
from medialib.folders import normalise_folder_path

TYPES = ("file", "file-version", "folder", "all")
FILE_TYPES = ("all", "image", "non-image")
MAX_LIMIT = 1000


def _choice(params: QueryDict, name: str, choices: tuple[str, ...], default: str) -> str:
    value = params.get(name) or default
    if value not in choices:
        raise BadRequest(f"{name} must be one of {', '.join(choices)}; got '{value}'.")
    return value


def _integer(params: QueryDict, name: str, *, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer; got '{raw}'.") from None
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high}; got {value}.")
    return value


def list_query(params: QueryDict) -> listing.ListQuery:
    """The parameters of GET /v1/files, validated (400 for any invalid one)."""
    for name, value in params.items():
        if "\x00" in value:
            raise BadRequest(f"{name} must not contain NUL characters.")
    path = params.get("path")
    search_text = params.get("searchQuery", "")
    tags = tuple(tag.strip() for tag in params.get("tags", "").split(",") if tag.strip())
    return listing.ListQuery(
        type=_choice(params, "type", TYPES, "file"),  # type: ignore[arg-type]
        sort=_choice(params, "sort", listing.SORTS, "ASC_CREATED"),
        path=normalise_folder_path(path, field="path") if path else None,
        file_type=_choice(params, "fileType", FILE_TYPES, "all"),  # type: ignore[arg-type]
        tags=tags,
        name=params.get("name", ""),
        search_query=search.parse(search_text) if search_text.strip() else None,
        skip=_integer(params, "skip", default=0, low=0, high=2**31 - 1),
        limit=_integer(params, "limit", default=MAX_LIMIT, low=1, high=MAX_LIMIT),
    )


class FileListView(APIView):
    @extend_schema(
        operation_id="files_list",
        parameters=LIST_PARAMETERS,
        responses={
            200: PolymorphicProxySerializer(
                component_name="FileOrFolder",
                serializers={
                    "file": FileObjectSerializer,
                    "file-version": FileObjectSerializer,
                    "folder": FolderObjectSerializer,
                },
                resource_type_field_name="type",
                many=True,
            ),
            **errors(),
        },
    )
    def get(self, request: Request) -> Response:
        query = list_query(request.query_params)
        return Response(listing.library_list(query=query, request=request))
