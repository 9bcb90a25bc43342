"""OpenAPI documentation of the files API's answers (drf-spectacular; never used to serialize).

The views answer with medialib.wire's dicts; these serializers describe the
same objects key for key, which tests/medialib/test_wire_format.py checks. A
field is `required` when the object always has that key.
"""

from __future__ import annotations

from rest_framework import serializers


class VersionInfoSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()


class AITagSerializer(serializers.Serializer):
    name = serializers.CharField()
    confidence = serializers.FloatField()
    source = serializers.CharField()


class FileObjectSerializer(serializers.Serializer):
    """wire.file_details and wire.version_details."""

    type = serializers.ChoiceField(choices=["file", "file-version"])
    fileId = serializers.CharField()
    name = serializers.CharField()
    filePath = serializers.CharField()
    url = serializers.URLField()
    thumbnail = serializers.CharField(allow_blank=True)
    fileType = serializers.ChoiceField(choices=["image", "non-image"])
    mime = serializers.CharField()
    size = serializers.IntegerField()
    height = serializers.IntegerField(allow_null=True)
    width = serializers.IntegerField(allow_null=True)
    hasAlpha = serializers.BooleanField()
    tags = serializers.ListField(child=serializers.CharField(), allow_null=True)
    AITags = AITagSerializer(many=True, allow_null=True)
    customCoordinates = serializers.CharField(allow_null=True)
    customMetadata = serializers.DictField()
    description = serializers.CharField(allow_blank=True)
    isPrivateFile = serializers.BooleanField()
    isPublished = serializers.BooleanField()
    embeddedMetadata = serializers.DictField()
    versionInfo = VersionInfoSerializer()
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()
    extensionStatus = serializers.DictField(child=serializers.CharField(), required=False)


class FileMetadataSerializer(serializers.Serializer):
    """wire.file_metadata."""

    height = serializers.IntegerField(allow_null=True)
    width = serializers.IntegerField(allow_null=True)
    size = serializers.IntegerField()
    format = serializers.CharField()
    hasColorProfile = serializers.BooleanField()
    quality = serializers.IntegerField()
    density = serializers.IntegerField(allow_null=True)
    hasTransparency = serializers.BooleanField()
    exif = serializers.DictField()
    pHash = serializers.CharField(allow_blank=True)


class UploadResponseSerializer(serializers.Serializer):
    """wire.upload_response: the optional fields are those of `responseFields`."""

    fileId = serializers.CharField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    versionInfo = VersionInfoSerializer()
    filePath = serializers.CharField()
    url = serializers.URLField()
    fileType = serializers.ChoiceField(choices=["image", "non-image"])
    height = serializers.IntegerField(allow_null=True)
    width = serializers.IntegerField(allow_null=True)
    thumbnailUrl = serializers.CharField(allow_blank=True)
    AITags = AITagSerializer(many=True, allow_null=True)
    extensionStatus = serializers.DictField(child=serializers.CharField(), required=False)
    tags = serializers.ListField(child=serializers.CharField(), allow_null=True, required=False)
    customCoordinates = serializers.CharField(allow_null=True, required=False)
    isPrivateFile = serializers.BooleanField(required=False)
    isPublished = serializers.BooleanField(required=False)
    customMetadata = serializers.DictField(required=False)
    embeddedMetadata = serializers.DictField(required=False)
    metadata = FileMetadataSerializer(required=False)


class FolderObjectSerializer(serializers.Serializer):
    """wire.folder_object, a row of GET /v1/files."""

    type = serializers.ChoiceField(choices=["folder"])
    folderId = serializers.CharField()
    name = serializers.CharField()
    folderPath = serializers.CharField()
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()


class ErrorSerializer(serializers.Serializer):
    """The body of every error (core.exceptions), in ImageKit's shape."""

    message = serializers.CharField()
    help = serializers.CharField()
    reason = serializers.CharField(required=False)
