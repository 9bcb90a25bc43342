"""Roles and API key scopes: the library's own permissions, a "Library users" group
holding them, and a scope per API key (existing keys keep full access)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations, models

LIBRARY_USERS_GROUP = "Library users"
GROUP_PERMISSIONS = (
    "use_library",
    "run_extensions",
    "add_asset",
    "change_asset",
    "delete_asset",
    "add_folder",
    "delete_folder",
)


def create_library_users_group(apps, schema_editor):
    # Permissions are made by post_migrate, after every migration: make them now so
    # the group can hold them on a fresh database.
    app_config = apps.get_app_config("medialib")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=LIBRARY_USERS_GROUP)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="medialib", codename__in=GROUP_PERMISSIONS
        )
    )


def remove_library_users_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=LIBRARY_USERS_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("medialib", "0004_aitag"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="asset",
            options={
                "ordering": ["created_at", "id"],
                "permissions": [
                    ("use_library", "Can use the media library"),
                    ("run_extensions", "Can run extensions (spends units)"),
                ],
            },
        ),
        migrations.AddField(
            model_name="apikey",
            name="scope",
            field=models.CharField(
                choices=[
                    ("read", "Read (GET only)"),
                    ("upload", "Upload only"),
                    ("full", "Full access"),
                ],
                default="full",
                max_length=8,
            ),
        ),
        migrations.RunPython(create_library_users_group, remove_library_users_group),
    ]
