"""AI tags move to medialib: the table and its rows stay, renamed to medialib_aitag.

The foreign key to the run becomes a plain id (medialib does not depend on
extensions), then the model leaves this app's state; medialib's 0004 takes it.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("extensions", "0002_run_created_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="aitag",
            name="run",
            field=models.BigIntegerField(blank=True, null=True, db_column="run_id"),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name="aitag", table="medialib_aitag"),
            ],
            state_operations=[
                migrations.DeleteModel(name="AITag"),
            ],
        ),
    ]
