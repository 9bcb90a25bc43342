"""`Asset.has_ai_tags`, kept by the AI tag services, and a partial index on the assets
without any: the admin's "No AI tags" filter reads them instead of an anti-join over
every AI tag. Existing assets get the flag from their rows."""

from django.db import migrations, models
from django.db.models import Exists, OuterRef


def flag_tagged_assets(apps, schema_editor):
    Asset = apps.get_model("medialib", "Asset")
    AITag = apps.get_model("medialib", "AITag")
    Asset.objects.filter(Exists(AITag.objects.filter(asset_id=OuterRef("pk")))).update(
        has_ai_tags=True
    )


class Migration(migrations.Migration):
    dependencies = [
        ("medialib", "0010_custom_metadata_stored_forms"),
    ]

    operations = [
        migrations.AddField(
            model_name="asset",
            name="has_ai_tags",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(flag_tagged_assets, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="asset",
            index=models.Index(
                condition=models.Q(("has_ai_tags", False)),
                fields=["created_at"],
                name="asset_untagged_created_idx",
            ),
        ),
    ]
