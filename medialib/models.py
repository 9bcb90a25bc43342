"""The media library's tables: folders, files with their versions, tags and AI tags,
and the API keys and upload tokens that give access to them.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q


def generate_public_id() -> str:
    """24 lowercase hex characters, as ImageKit's `fileId`."""
    return secrets.token_hex(12)


class Folder(models.Model):
    """A folder in the library; the root ("/") is implicit and has no row."""

    folder_id = models.CharField(max_length=24, unique=True, default=generate_public_id)
    # Normalised: begins with "/", no trailing "/", e.g. "/products/shoes".
    path = models.CharField(max_length=1024, unique=True)
    name = models.CharField(max_length=255)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["path"]

    def __str__(self) -> str:
        return self.path


class Tag(models.Model):
    name = models.CharField(max_length=255, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Asset(models.Model):
    class FileType(models.TextChoices):
        IMAGE = "image", "Image"
        NON_IMAGE = "non-image", "Non-image"

    file_id = models.CharField(max_length=24, unique=True, default=generate_public_id)
    folder = models.ForeignKey(
        Folder, null=True, blank=True, on_delete=models.PROTECT, related_name="assets"
    )
    # db_index: on PostgreSQL Django adds the LIKE index that `name : "prefix"` searches use.
    name = models.CharField(max_length=255, db_index=True)
    # "/<folder path>/<name>"; unique, as a path names one current file.
    file_path = models.CharField(max_length=1280, unique=True)
    file_type = models.CharField(max_length=16, choices=FileType.choices)
    is_private = models.BooleanField(default=False)
    is_published = models.BooleanField(default=True)
    description = models.TextField(blank=True)
    custom_coordinates = models.CharField(max_length=255, blank=True)
    custom_metadata = models.JSONField(default=dict, blank=True)
    tags = models.ManyToManyField(Tag, through="AssetTag", related_name="assets", blank=True)
    current_version = models.ForeignKey(
        "AssetVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept by medialib.services.ai_tags, the one writer of AI tags: the admin's "No AI
    # tags" filter reads it (a partial index) instead of proving an absence over every
    # AI tag of the library.
    has_ai_tags = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # Listing a folder sorted by creation (the default sort of GET /v1/files).
            models.Index(fields=["folder", "created_at"], name="asset_folder_created_idx"),
            models.Index(fields=["created_at"], name="asset_created_idx"),
            # sort=ASC_UPDATED / DESC_UPDATED of GET /v1/files.
            models.Index(fields=["updated_at"], name="asset_updated_idx"),
            models.Index(fields=["file_type", "created_at"], name="asset_type_created_idx"),
            models.Index(
                fields=["created_at"],
                condition=Q(has_ai_tags=False),
                name="asset_untagged_created_idx",
            ),
        ]
        # Roles (README "Security model"): the library needs use_library (or staff);
        # writes need the add/change/delete_asset permissions; running an extension,
        # which spends units, needs run_extensions.
        permissions = [
            ("use_library", "Can use the media library"),
            ("run_extensions", "Can run extensions (spends units)"),
        ]

    def __str__(self) -> str:
        return self.file_path


class AssetTag(models.Model):
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="asset_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="asset_tags")
    # Keeps the order the user gave, as ImageKit returns tags in that order.
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "tag"], name="asset_tag_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id}: {self.tag_id}"


class AssetVersion(models.Model):
    class Origin(models.TextChoices):
        UPLOAD = "upload", "Upload"
        OVERWRITE = "overwrite", "Overwrite"
        RESTORE = "restore", "Restore"
        COPY = "copy", "Copy"
        EXTENSION = "extension", "Extension"

    # The first version's id is its asset's fileId, as ImageKit's `versionInfo`.
    version_id = models.CharField(max_length=24, unique=True, default=generate_public_id)
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    # The file name this version was stored under (the asset may be renamed later).
    name = models.CharField(max_length=255, blank=True)
    storage_key = models.CharField(max_length=1024)
    thumbnail_key = models.CharField(max_length=1024, blank=True)
    size = models.BigIntegerField()
    mime = models.CharField(max_length=255)
    # Short format name as searchQuery's `format` uses it: jpg, png, webp, pdf...
    format = models.CharField(max_length=32, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    has_alpha = models.BooleanField(default=False)
    checksum = models.CharField(max_length=64, help_text="SHA-256 of the stored bytes")
    embedded_metadata = models.JSONField(default=dict, blank=True)
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.UPLOAD)
    # The extension (e.g. "remove-bg") or version this one came from.
    origin_detail = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The upload's `transformation.post`, rendered eagerly on a worker: a list of
    # {"type", "value", "state": pending|done|failed|skipped, "error"}.
    post_transformations = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["asset", "number"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "number"], name="asset_version_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} v{self.number}"


class AITag(models.Model):
    """A label an auto-tagging extension gave a file: part of ImageKit's file object."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="ai_tags")
    name = models.CharField(max_length=255)
    confidence = models.DecimalField(max_digits=5, decimal_places=2)
    # The extension name that produced it ("google-auto-tagging").
    source = models.CharField(max_length=64)
    # The extension run that wrote it: provenance only, so the library does not
    # depend on the extensions app that records runs.
    run_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-confidence", "name"]
        verbose_name = "AI tag"
        constraints = [
            models.UniqueConstraint(fields=["asset", "source", "name"], name="ai_tag_unique"),
            models.CheckConstraint(
                condition=Q(confidence__gte=0) & Q(confidence__lte=100),
                name="ai_tag_confidence_range",
            ),
        ]
        indexes = [
            # searchQuery `AITags IN [...]` and the admin/UI filters look tags up by name.
            models.Index(fields=["name"], name="ai_tag_name_idx"),
            models.Index(fields=["source"], name="ai_tag_source_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.confidence}, {self.source})"


class ApiKey(models.Model):
    """A private API key; only a hash of its secret is stored.

    The key handed out is `<prefix>_<secret>`; `prefix` finds the row, the
    secret is checked against `secret_hash`.
    """

    class Scope(models.TextChoices):
        READ = "read", "Read (GET only)"
        UPLOAD = "upload", "Upload only"
        FULL = "full", "Full access"

    name = models.CharField(max_length=255)
    prefix = models.CharField(max_length=32, unique=True)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.FULL)
    secret_hash = models.CharField(max_length=128)
    # Random per key; with settings.MEDIALIB_API_KEY_SECRET it derives the
    # private key again (see medialib.services.api_key_private_key), which
    # client-side upload signatures need. Useless without that setting.
    derivation_salt = models.CharField(max_length=64, blank=True)
    public_key = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"
        constraints = [
            models.CheckConstraint(condition=~Q(prefix=""), name="api_key_prefix_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class UploadToken(models.Model):
    """A client-side upload `token` seen once; a second use is refused.

    A row may be purged once `expire` has passed: a signature with the same
    token and a later `expire` can only come from the private key's holder.
    """

    token = models.CharField(max_length=255, unique=True)
    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="upload_tokens")
    expire = models.DateTimeField()
    used_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # Purging the tokens whose expiry has passed.
            models.Index(fields=["expire"], name="upload_token_expire_idx"),
        ]

    def __str__(self) -> str:
        return self.token


class NamedTransformation(models.Model):
    """An alias for a transformation string, used in URLs as `n-<name>` (ImageKit's API)."""

    public_id = models.CharField(max_length=24, unique=True, default=generate_public_id)
    name = models.CharField(max_length=100, unique=True)
    transformation = models.TextField()
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Rendition(models.Model):
    """A transformed image of one version, stored once and served from storage.

    Keyed by (version, normalised transformation + output format). The version
    link is cleared, not cascaded, when the version goes, so the sweep still
    finds the stored object to delete.
    """

    class State(models.TextChoices):
        RENDERING = "rendering", "Rendering"
        READY = "ready", "Ready"

    version = models.ForeignKey(
        AssetVersion, null=True, on_delete=models.SET_NULL, related_name="renditions"
    )
    # SHA-256 of "<normalised transformation>|<format>": the unique key of the cache.
    digest = models.CharField(max_length=64)
    transformation = models.TextField()
    format = models.CharField(max_length=8)
    storage_key = models.CharField(max_length=1024, blank=True)
    size = models.BigIntegerField(default=0)
    state = models.CharField(max_length=16, choices=State.choices, default=State.RENDERING)
    # When the renderer claimed the row: a stale claim (a killed process) is taken over.
    claimed_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "digest"], name="rendition_version_digest")
        ]

    def __str__(self) -> str:
        return f"{self.version_id}: {self.transformation} ({self.format})"


class BandwidthDay(models.Model):
    """Bytes served by `/f/` on one (UTC) day: the `bandwidthBytes` of /v1/accounts/usage."""

    day = models.DateField(unique=True)
    bytes = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.bytes} bytes"


def generate_field_id() -> str:
    return secrets.token_hex(12)


class CustomMetadataField(models.Model):
    """A declared `customMetadata` key (`/v1/customMetadataFields`) with its type and limits.

    Deleting one hides it (`deleted`): files keep their values, and `includeDeleted` lists it.
    """

    field_id = models.CharField(max_length=24, unique=True, default=generate_field_id)
    name = models.CharField(max_length=128, unique=True)
    label = models.CharField(max_length=128)
    description = models.TextField(blank=True)
    schema = models.JSONField()
    deleted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name


class FolderJob(models.Model):
    """A copy, move or rename of a whole folder tree, run in steps on a worker.

    `phase` and `cursor` record how far it got (the last asset pk done in the files
    phase), each step committed with the rows it changed, so a job resumes where it
    stopped and a step is never done twice.
    """

    class Type(models.TextChoices):
        COPY_FOLDER = "COPY_FOLDER", "Copy folder"
        MOVE_FOLDER = "MOVE_FOLDER", "Move folder"
        RENAME_FOLDER = "RENAME_FOLDER", "Rename folder"

    class Status(models.TextChoices):
        PENDING = "Pending", "Pending"
        COMPLETED = "Completed", "Completed"

    class Phase(models.TextChoices):
        FOLDERS = "folders", "Folders"
        FILES = "files", "Files"
        CLEANUP = "cleanup", "Cleanup"
        DONE = "done", "Done"

    job_id = models.CharField(max_length=24, unique=True, default=generate_public_id)
    type = models.CharField(max_length=16, choices=Type.choices)
    # Normalised folder paths: the tree's root before and after the job.
    source_path = models.CharField(max_length=1024)
    destination_path = models.CharField(max_length=1024)
    include_versions = models.BooleanField(default=False)
    purge_request_id = models.CharField(max_length=24, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    phase = models.CharField(max_length=16, choices=Phase.choices, default=Phase.FOLDERS)
    cursor = models.BigIntegerField(default=0)
    files_done = models.PositiveIntegerField(default=0)
    # Files the job could not handle (gone meanwhile, or refused), with the reason.
    errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Touched by every step: the sweep sends again pending jobs idle for too long.
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "updated_at"], name="folderjob_status_idx")]

    def __str__(self) -> str:
        return f"{self.type} {self.source_path} -> {self.destination_path}"
