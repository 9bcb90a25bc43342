"""Custom metadata values already stored take the forms `searchQuery` compares
(medialib.services.metadata_fields): a Date as UTC to the millisecond, a
MultiSelect as a list. A value that is not a date is left as it was."""

from datetime import UTC, datetime

from django.db import migrations
from django.db.models import Q


# A copy of the service's rule as it was when written: a migration must not change
# what it does when the service changes later.
def stored_date(value):
    if not isinstance(value, str):
        return value
    try:
        # A date alone too ("2024-01-31" is midnight).
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when.isoformat(timespec="milliseconds") + "Z"


def stored_forms(apps, schema_editor):
    CustomMetadataField = apps.get_model("medialib", "CustomMetadataField")
    Asset = apps.get_model("medialib", "Asset")
    types = {
        field.name: field.schema.get("type")
        for field in CustomMetadataField.objects.all()
        if field.schema.get("type") in ("Date", "MultiSelect")
    }
    if not types:
        return
    having = Q()
    for name in types:
        having |= Q(custom_metadata__has_key=name)
    # The ids first: SQLite does not isolate a read in progress from writes to its table.
    pks = list(Asset.objects.filter(having).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), 500):
        rows = Asset.objects.filter(pk__in=pks[start : start + 500])
        for pk, metadata in list(rows.values_list("pk", "custom_metadata")):
            changed = stored_metadata(metadata, types)
            if changed != metadata:
                # update(), so that updated_at stays: the files did not change.
                Asset.objects.filter(pk=pk).update(custom_metadata=changed)


def stored_metadata(metadata, types):
    changed = dict(metadata)
    for name, kind in types.items():
        if changed.get(name) is None:
            continue
        if kind == "Date":
            changed[name] = stored_date(changed[name])
        elif not isinstance(changed[name], list):
            changed[name] = [changed[name]]
    return changed


class Migration(migrations.Migration):
    dependencies = [
        ("medialib", "0009_merge_post_transformations"),
    ]

    operations = [
        # Backwards there is nothing to undo: the old forms stay accepted.
        migrations.RunPython(stored_forms, migrations.RunPython.noop),
    ]
