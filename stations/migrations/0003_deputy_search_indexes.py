"""The deputies' changelist at a province's scale (liaison.changelist, issue 6): a
trigram index (pg_trgm) on ``UPPER(name)`` for a name searched inside, the expression
Django's ``icontains`` compares. Codes are searched exactly on their unique index.

The count estimate the changelist uses comes from suggestions 0005. PostgreSQL only: on
SQLite (development) the migration does nothing. Built CONCURRENTLY, so applying it to a
live table does not block edits.
"""

from django.db import migrations

FORWARD = [
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS deputy_name_trgm_idx "
    "ON stations_deputy USING gin (upper(name::text) gin_trgm_ops)",
]

BACKWARD = [
    "DROP INDEX CONCURRENTLY IF EXISTS deputy_name_trgm_idx",
]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql, params=None)

    return operation


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("stations", "0002_rosters_points_receptions"),
        # pg_trgm, and liaison_count_estimate() for the changelist's count.
        ("suggestions", "0005_changelist_search_indexes"),
    ]

    operations = [
        migrations.RunPython(run(FORWARD), run(BACKWARD), elidable=False),
    ]
