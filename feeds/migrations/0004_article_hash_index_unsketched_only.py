"""The content hash indexed only for articles too short for a sketch.

The plain index goes by name, found in the database: on SQLite, Django's
own way to drop an index of a field is to copy the whole table.
"""

from typing import Any

from django.db import migrations, models


def _drop_plain_hash_indexes(apps: Any, schema_editor: Any) -> None:
    article = apps.get_model("feeds", "Article")
    table = article._meta.db_table
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    for name, details in constraints.items():
        if (
            details["index"]
            and not details["unique"]
            and not details["primary_key"]
            and details["columns"] == ["content_hash"]
        ):
            schema_editor.execute(
                schema_editor.sql_delete_index
                % {
                    "table": schema_editor.quote_name(table),
                    "name": schema_editor.quote_name(name),
                }
            )


def _add_plain_hash_index(apps: Any, schema_editor: Any) -> None:
    article = apps.get_model("feeds", "Article")
    schema_editor.add_index(
        article, models.Index(fields=["content_hash"], name="article_hash_idx")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("feeds", "0003_article_feed_index_covered"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="article",
                    name="content_hash",
                    field=models.CharField(max_length=64),
                ),
            ],
            database_operations=[
                migrations.RunPython(_drop_plain_hash_indexes, _add_plain_hash_index),
            ],
        ),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(
                condition=models.Q(("sketch_0", -1)),
                fields=["sketch_0", "content_hash"],
                name="article_hash_unsketched_idx",
            ),
        ),
    ]
