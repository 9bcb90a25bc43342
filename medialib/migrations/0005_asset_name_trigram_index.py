"""A trigram index on UPPER(name) of assets, on PostgreSQL only.

The admin's asset search matches any part of a name (`name__icontains`, which
PostgreSQL runs as `UPPER(name) LIKE UPPER('%term%')`); a B-tree cannot serve a
leading wildcard, a GIN trigram index can. SQLite has neither pg_trgm nor GIN and
scans, as it always did: the migration does nothing there.
"""

from django.db import migrations

INDEX = "asset_name_upper_trgm_idx"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON medialib_asset USING gin (UPPER(name) gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("medialib", "0004_aitag")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
