"""Routes of the ImageKit-compatible API (root paths, as ImageKit's SDKs call them).

Order matters: fixed paths (`v1/files/addTags`, `v1/files/<id>/versions`...) go
above the `v1/files/<file_id>` routes at the end, which match any segment.
"""

from django.urls import path, re_path

from medialib.api import (
    account_views,
    bulk_views,
    extension_views,
    folder_job_views,
    list_views,
    named_transformation_views,
    path_views,
    saved_extension_views,
    version_views,
    views,
)

upload_patterns = [
    path("api/v1/files/upload", views.FileUploadView.as_view(), name="api-file-upload"),
    path("api/v2/files/upload", views.FileUploadV2View.as_view(), name="api-file-upload-v2"),
]

# Put fixed `v1/...` routes here, before the catch-all file routes below.
fixed_patterns: list = [
    path(
        "v1/saved-extensions",
        saved_extension_views.SavedExtensionListView.as_view(),
        name="api-saved-extensions",
    ),
    path(
        "v1/saved-extensions/<str:saved_id>",
        saved_extension_views.SavedExtensionView.as_view(),
        name="api-saved-extension",
    ),
    path(
        "v1/customMetadataFields",
        account_views.CustomMetadataFieldListView.as_view(),
        name="api-metadata-fields",
    ),
    path(
        "v1/customMetadataFields/<str:field_id>",
        account_views.CustomMetadataFieldView.as_view(),
        name="api-metadata-field",
    ),
    path("v1/accounts/usage", account_views.AccountUsageView.as_view(), name="api-account-usage"),
    re_path(
        r"^v1/accounts/(?P<feature>origins|url-endpoints|usage-analytics)(?P<rest>/.*)?$",
        account_views.account_feature_not_offered,
        name="api-account-not-offered",
    ),
    path("v1/files/purge", account_views.PurgeView.as_view(), name="api-purge"),
    path(
        "v1/files/purge/<str:request_id>",
        account_views.PurgeStatusView.as_view(),
        name="api-purge-status",
    ),
    path(
        "v1/accounts/webhooks",
        account_views.AccountWebhookListView.as_view(),
        name="api-account-webhooks",
    ),
    path(
        "v1/accounts/webhooks/<str:endpoint_id>",
        account_views.AccountWebhookView.as_view(),
        name="api-account-webhook",
    ),
    path("v1/metadata", views.RemoteMetadataView.as_view(), name="api-remote-metadata"),
    path("v1/files", list_views.FileListView.as_view(), name="api-file-list"),
    path("v1/files/addTags", bulk_views.FilesAddTagsView.as_view(), name="api-files-add-tags"),
    path(
        "v1/files/removeTags",
        bulk_views.FilesRemoveTagsView.as_view(),
        name="api-files-remove-tags",
    ),
    path(
        "v1/files/removeAITags",
        bulk_views.FilesRemoveAITagsView.as_view(),
        name="api-files-remove-ai-tags",
    ),
    path(
        "v1/files/batch/deleteByFileIds",
        bulk_views.FilesBulkDeleteView.as_view(),
        name="api-files-bulk-delete",
    ),
    path("v1/files/copy", path_views.FileCopyView.as_view(), name="api-file-copy"),
    path("v1/files/move", path_views.FileMoveView.as_view(), name="api-file-move"),
    path("v1/files/rename", path_views.FileRenameView.as_view(), name="api-file-rename"),
    path("v1/folder", path_views.FolderView.as_view(), name="api-folder"),
    path("v1/extensions", extension_views.ExtensionListView.as_view(), name="api-extensions"),
    path(
        "v1/files/<str:file_id>/extension-runs",
        extension_views.FileExtensionRunListView.as_view(),
        name="api-file-extension-runs",
    ),
    path(
        "v1/named-transformations",
        named_transformation_views.NamedTransformationListView.as_view(),
        name="api-named-transformations",
    ),
    path(
        "v1/named-transformations/<str:named_id>",
        named_transformation_views.NamedTransformationView.as_view(),
        name="api-named-transformation",
    ),
    path(
        "v1/bulkJobs/copyFolder",
        folder_job_views.FolderCopyJobView.as_view(),
        name="api-folder-copy-job",
    ),
    path(
        "v1/bulkJobs/moveFolder",
        folder_job_views.FolderMoveJobView.as_view(),
        name="api-folder-move-job",
    ),
    path(
        "v1/bulkJobs/renameFolder",
        folder_job_views.FolderRenameJobView.as_view(),
        name="api-folder-rename-job",
    ),
    path(
        "v1/bulkJobs/<str:job_id>",
        folder_job_views.FolderJobView.as_view(),
        name="api-folder-job",
    ),
    path(
        "v1/files/<str:file_id>/versions",
        version_views.FileVersionListView.as_view(),
        name="api-file-versions",
    ),
    path(
        "v1/files/<str:file_id>/versions/<str:version_id>",
        version_views.FileVersionView.as_view(),
        name="api-file-version",
    ),
    path(
        "v1/files/<str:file_id>/versions/<str:version_id>/restore",
        version_views.FileVersionRestoreView.as_view(),
        name="api-file-version-restore",
    ),
]

file_patterns = [
    path(
        "v1/files/<str:file_id>/details",
        views.FileDetailsView.as_view(),
        name="api-file-details",
    ),
    path(
        "v1/files/<str:file_id>/metadata",
        views.FileMetadataView.as_view(),
        name="api-file-metadata",
    ),
    path("v1/files/<str:file_id>", views.FileView.as_view(), name="api-file"),
]

urlpatterns = [
    *upload_patterns,
    *fixed_patterns,
    *file_patterns,
    re_path(r"^(?:api/)?v1/(?P<path>.*)$", views.api_route_not_found, name="api-not-found"),
]
