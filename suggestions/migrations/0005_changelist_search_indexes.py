"""The changelist at a province's scale (liaison.changelist, issue 6).

- ``liaison_count_estimate(query)``: the planner's row estimate for a query, read from
  ``EXPLAIN (FORMAT JSON)`` without running it; the changelist shows it ("about N")
  above its exact-count limit instead of counting the table.
- Trigram indexes (pg_trgm, created in 0001) for the search box: words inside the title
  (on ``UPPER(title)``, the expression Django's ``icontains`` compares) and a mobile
  number's last four digits (``phone LIKE '%8000'``). Tracking codes and full numbers
  already have their btree indexes.

PostgreSQL only: on SQLite (development) the migration does nothing. The indexes are
built CONCURRENTLY, so applying it to a live table does not block intake.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION liaison_count_estimate(query text) RETURNS bigint
LANGUAGE plpgsql AS $function$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
    RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric::bigint;
END
$function$
"""

FORWARD = [
    FUNCTION,
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS case_title_trgm_idx "
    "ON suggestions_case USING gin (upper(title::text) gin_trgm_ops)",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS suggestion_phone_trgm_idx "
    "ON suggestions_suggestion USING gin (phone gin_trgm_ops)",
]

BACKWARD = [
    "DROP INDEX CONCURRENTLY IF EXISTS suggestion_phone_trgm_idx",
    "DROP INDEX CONCURRENTLY IF EXISTS case_title_trgm_idx",
    "DROP FUNCTION IF EXISTS liaison_count_estimate(text)",
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
        ("suggestions", "0004_reception_matters_reply_due"),
    ]

    operations = [
        migrations.RunPython(run(FORWARD), run(BACKWARD), elidable=False),
    ]
