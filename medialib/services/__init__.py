"""Writes of the media library, one module per topic; the names callers use are here.

- `api_keys`: API keys and client-side upload signatures
- `rules`: the input rules, one `clean_` function each (names, paths, tags, details, fileIds)
- `versions`: storing content, adding, copying, restoring, deleting, pruning versions
- `assets`: details updates (custom metadata edited field by field too), tags, deletion,
  folders made on the way
- `uploads`: uploads (a new file or a new version at the same path)
- `usage`: bytes served by `/f/` per day and bytes stored
- `upload_transformations`: an upload's `transformation` (`pre` and eager `post`)
- `ai_tags`: AI tags written by extensions, removed by clients, copied with files
"""

from medialib.services.ai_tags import ai_tags_copy, ai_tags_remove, ai_tags_write
from medialib.services.api_keys import (
    IssuedApiKey,
    api_key_create,
    api_key_for_private_key,
    api_key_private_key,
    api_key_revoke,
    api_key_touch,
    api_keys_revoke_for_user,
    hash_api_key_secret,
    upload_jwt_verify,
    upload_signature,
    upload_signature_verify,
    upload_tokens_purge,
)
from medialib.services.assets import (
    asset_custom_metadata_edit,
    asset_delete,
    asset_tags_set,
    asset_update_details,
    assets_delete,
    folder_ensure,
)
from medialib.services.client_uploads import client_upload_check
from medialib.services.renditions import rendition_ensure, renditions_purge, renditions_sweep
from medialib.services.rules import (
    UNSET,
    clean_ai_tag_names,
    clean_custom_coordinates,
    clean_custom_metadata,
    clean_description,
    clean_file_ids,
    clean_file_name,
    clean_file_path,
    clean_folder_path,
    clean_single_name,
    clean_tag_names,
    clean_tags,
    join_file_path,
)
from medialib.services.storage_sweep import SweepResult, storage_sweep
from medialib.services.upload_transformations import (
    UploadTransformation,
    clean_upload_transformation,
    upload_post_transformations_render,
)
from medialib.services.uploads import UploadResult, upload_file
from medialib.services.usage import bandwidth_bytes, bandwidth_record, storage_bytes
from medialib.services.versions import (
    asset_version_add,
    asset_version_delete,
    asset_version_restore,
    asset_versions_append,
    asset_versions_prune,
    file_type_of,
    removing_written_on_error,
    version_thumbnail_ensure,
)

__all__ = [
    "UNSET",
    "IssuedApiKey",
    "SweepResult",
    "UploadResult",
    "UploadTransformation",
    "ai_tags_copy",
    "ai_tags_remove",
    "ai_tags_write",
    "api_key_create",
    "api_key_for_private_key",
    "api_key_private_key",
    "api_key_revoke",
    "api_key_touch",
    "api_keys_revoke_for_user",
    "asset_custom_metadata_edit",
    "asset_delete",
    "asset_tags_set",
    "asset_update_details",
    "asset_version_add",
    "asset_version_delete",
    "asset_version_restore",
    "asset_versions_append",
    "asset_versions_prune",
    "assets_delete",
    "bandwidth_bytes",
    "bandwidth_record",
    "clean_ai_tag_names",
    "clean_custom_coordinates",
    "clean_custom_metadata",
    "clean_description",
    "clean_file_ids",
    "clean_file_name",
    "clean_file_path",
    "clean_folder_path",
    "clean_single_name",
    "clean_tag_names",
    "clean_tags",
    "clean_upload_transformation",
    "client_upload_check",
    "file_type_of",
    "folder_ensure",
    "hash_api_key_secret",
    "join_file_path",
    "removing_written_on_error",
    "rendition_ensure",
    "renditions_purge",
    "renditions_sweep",
    "storage_bytes",
    "storage_sweep",
    "upload_file",
    "upload_jwt_verify",
    "upload_post_transformations_render",
    "upload_signature",
    "upload_signature_verify",
    "upload_tokens_purge",
    "version_thumbnail_ensure",
]
