"""The common set of result classes for deputy suggestions (A/B/C); offices may edit it."""

from django.db import migrations

DEFAULTS = [
    ("A", "已解决或采纳", False, 10),
    ("B", "列入计划逐步解决", True, 20),
    ("C", "留作参考", False, 30),
]


def add_defaults(apps, schema_editor):
    ResultClass = apps.get_model("suggestions", "ResultClass")
    for code, name, needs_review, order in DEFAULTS:
        ResultClass.objects.get_or_create(
            code=code, defaults={"name": name, "needs_review": needs_review, "sort_order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("suggestions", "0002_deputy_suggestions")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
