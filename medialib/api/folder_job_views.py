"""Folder jobs: POST /v1/bulkJobs/copyFolder|moveFolder|renameFolder, GET /v1/bulkJobs/{jobId}.

Each POST answers a jobId at once; a worker runs the job (medialib.services.folder_jobs).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
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


def _submitted(job: FolderJob) -> Response:
    return Response({"jobId": job.job_id})


class FolderCopyJobView(APIView):
    parser_classes = [JsonObjectParser]

    @extend_schema(
        operation_id="folders_copy",
        request=FolderCopyInputSerializer,
        responses={200: JOB_SUBMITTED, **errors(), 404: FOLDER_NOT_FOUND},
    )
    def post(self, request: Request) -> Response:
        serializer = FolderCopyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        return _submitted(
            folder_jobs.folder_copy_start(
                source_folder_path=data["sourceFolderPath"],
                destination_path=data["destinationPath"],
                include_versions=data["includeVersions"],
            )
        )


class FolderMoveJobView(APIView):
    parser_classes = [JsonObjectParser]

    @extend_schema(
        operation_id="folders_move",
        request=FolderJobInputSerializer,
        responses={200: JOB_SUBMITTED, **errors(), 404: FOLDER_NOT_FOUND},
    )
    def post(self, request: Request) -> Response:
        serializer = FolderJobInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        return _submitted(
            folder_jobs.folder_move_start(
                source_folder_path=data["sourceFolderPath"],
                destination_path=data["destinationPath"],
            )
        )


class FolderRenameJobView(APIView):
    parser_classes = [JsonObjectParser]

    @extend_schema(
        operation_id="folders_rename",
        request=FolderRenameInputSerializer,
        responses={
            200: JOB_SUBMITTED,
            **errors(),
            404: FOLDER_NOT_FOUND,
            409: OpenApiResponse(ErrorSerializer, description="FOLDER_ALREADY_EXISTS"),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = FolderRenameInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        return _submitted(
            folder_jobs.folder_rename_start(
                folder_path=data["folderPath"],
                new_folder_name=data["newFolderName"],
                purge_cache=data["purgeCache"],
            )
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
