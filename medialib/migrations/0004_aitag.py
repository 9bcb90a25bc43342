"""AI tags join the file they describe: the model comes from extensions with its table."""

import django.db.models.deletion
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    # Permissions given on "extensions | AI tag" follow the model.
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="medialib", model="aitag").exists():
        ContentType.objects.filter(app_label="extensions", model="aitag").update(
            app_label="medialib"
        )


def restore_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="medialib", model="aitag").update(app_label="extensions")


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("medialib", "0003_asset_name_and_updated_indexes"),
        ("extensions", "0003_aitag_to_medialib"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AITag",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=255)),
                        ("confidence", models.DecimalField(decimal_places=2, max_digits=5)),
                        ("source", models.CharField(max_length=64)),
                        ("run_id", models.BigIntegerField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "asset",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="ai_tags",
                                to="medialib.asset",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "AI tag",
                        "ordering": ["-confidence", "name"],
                        "indexes": [
                            models.Index(fields=["name"], name="ai_tag_name_idx"),
                            models.Index(fields=["source"], name="ai_tag_source_idx"),
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("asset", "source", "name"), name="ai_tag_unique"
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("confidence__gte", 0), ("confidence__lte", 100)
                                ),
                                name="ai_tag_confidence_range",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, restore_content_type),
    ]
