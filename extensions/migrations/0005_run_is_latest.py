"""`ExtensionRun.is_latest`, kept by the run writers, and a partial index on the latest
runs by status: the admin's status filter reads them instead of an anti-join over every
run of the status. Existing runs get the flag from the rule it keeps: the highest id of
each (asset, extension)."""

from django.db import migrations, models
from django.db.models import Exists, OuterRef


def flag_latest_runs(apps, schema_editor):
    ExtensionRun = apps.get_model("extensions", "ExtensionRun")
    newer = ExtensionRun.objects.filter(
        asset_id=OuterRef("asset_id"), name=OuterRef("name"), pk__gt=OuterRef("pk")
    )
    ExtensionRun.objects.filter(~Exists(newer)).update(is_latest=True)


class Migration(migrations.Migration):
    dependencies = [
        ("extensions", "0004_saved_extension"),
    ]

    operations = [
        migrations.AddField(
            model_name="extensionrun",
            name="is_latest",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(flag_latest_runs, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="extensionrun",
            index=models.Index(
                condition=models.Q(("is_latest", True)),
                fields=["status", "name", "asset"],
                name="run_latest_status_idx",
            ),
        ),
    ]
