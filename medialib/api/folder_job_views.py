"""Folder jobs: POST /v1/bulkJobs/copyFolder|moveFolder|renameFolder, GET /v1/bulkJobs/{jobId}.

Each POST answers a jobId at once; a worker runs the job (medialib.services.folder_jobs).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medialib.api.library_docs import errors
from medialib.api.parsers import JsonObjectParser
from medialib.api.schema import ErrorSerializer
from medialib.api.serializers import (
    FolderCopyInputSerializer,
    FolderJobInputSerializer,
    FolderRenameInputSerializer,
)
from medialib.models import FolderJob
from medialib.services import folder_jobs

JOB_SUBMITTED = OpenApiResponse(description="Job submitted: `{jobId}`")
FOLDER_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="FOLDER_NOT_FOUND")


class FolderJobStartView(APIView):
    """Starts a folder job: the body is checked, the job recorded, its id answered at once."""

    parser_classes = [JsonObjectParser]
    input_serializer: type[serializers.Serializer]

    def post(self, request: Request) -> Response:
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response({"jobId": self.start(serializer.validated_data).job_id})

    def start(self, data: dict[str, Any]) -> FolderJob:
        """Record the job (its worker task goes out on commit)."""
        raise NotImplementedError


def _job_start_schema(
    operation_id: str,
    request: type[serializers.Serializer],
    extra: dict[int, OpenApiResponse] | None = None,
) -> Any:
    return extend_schema_view(
        post=extend_schema(
            operation_id=operation_id,
            request=request,
            responses={200: JOB_SUBMITTED, **errors(), 404: FOLDER_NOT_FOUND, **(extra or {})},
        )
    )


@_job_start_schema("folders_copy", FolderCopyInputSerializer)
class FolderCopyJobView(FolderJobStartView):
    input_serializer = FolderCopyInputSerializer

    def start(self, data: dict[str, Any]) -> FolderJob:
        return folder_jobs.folder_copy_start(
            source_folder_path=data["sourceFolderPath"],
            destination_path=data["destinationPath"],
            include_versions=data["includeVersions"],
        )


@_job_start_schema("folders_move", FolderJobInputSerializer)
class FolderMoveJobView(FolderJobStartView):
    input_serializer = FolderJobInputSerializer

    def start(self, data: dict[str, Any]) -> FolderJob:
        return folder_jobs.folder_move_start(
            source_folder_path=data["sourceFolderPath"],
            destination_path=data["destinationPath"],
        )


@_job_start_schema(
    "folders_rename",
    FolderRenameInputSerializer,
    {409: OpenApiResponse(ErrorSerializer, description="FOLDER_ALREADY_EXISTS")},
)
class FolderRenameJobView(FolderJobStartView):
    input_serializer = FolderRenameInputSerializer

    def start(self, data: dict[str, Any]) -> FolderJob:
        return folder_jobs.folder_rename_start(
            folder_path=data["folderPath"],
            new_folder_name=data["newFolderName"],
            purge_cache=data["purgeCache"],
        )


class FolderJobView(APIView):
    @extend_schema(
        operation_id="folders_job_get",
        responses={200: OpenApiResponse(description="The job's status"), **errors(404)},
    )
    def get(self, request: Request, job_id: str) -> Response:
        job = folder_jobs.folder_job_get(job_id=job_id)
        body = {"jobId": job.job_id, "type": job.type, "status": job.status}
        if job.purge_request_id:
            body["purgeRequestId"] = job.purge_request_id
        return Response(body)
