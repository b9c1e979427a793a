"""The admin's big changelists at a province's scale: queries and time per page, ours
against Django's own changelist machinery on the same data, in the same run.

Needs a PostgreSQL database with the demo data and the scale data:

    DATABASE_URL=postgres://… python manage.py migrate
    DATABASE_URL=postgres://… python manage.py seed_demo
    DATABASE_URL=postgres://… python manage.py seed_demo_suggestions
    DATABASE_URL=postgres://… python manage.py seed_scale        # 1M opinions, 100k deputies
    DATABASE_URL=postgres://… python bench/admin_changelists.py [user …] > table.md

Each page is fetched once to warm up, then timed three times (median) through Django's
test client, rendering included. The baseline is the same model admin with Django's
ChangeList, Paginator and change-list template put back: exact counts of the filtered
table and the date drill-down's SELECT DISTINCT. The ratio is baseline / ours.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib import admin  # noqa: E402
from django.contrib.admin.views.main import ChangeList  # noqa: E402
from django.core.paginator import Paginator  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    override_settings,
    setup_test_environment,
)

from liaison.models import User  # noqa: E402
from stations.models import Deputy  # noqa: E402
from suggestions.models import Suggestion  # noqa: E402

setup_test_environment()
settings.ALLOWED_HOSTS = ["*"]
settings.SECURE_SSL_REDIRECT = False
# Pages render without a collectstatic run (static URLs are not what is measured).
override_settings(
    STORAGES=settings.STORAGES
    | {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
).enable()

S = "/admin/suggestions/suggestion/"
D = "/admin/stations/deputy/"


def scalar(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def pages() -> list[tuple[str, str]]:
    county = ["430421%"]  # 衡阳县, the demo's county
    from suggestions.models import Suggestion

    item = (
        "SELECT s.case_ptr_id FROM suggestions_suggestion s JOIN suggestions_case c"
        " ON c.id = s.case_ptr_id WHERE c.region_id LIKE %s AND s.phone <> ''"
        " ORDER BY c.id DESC OFFSET 500 LIMIT 1"
    )
    # The phone is encrypted at rest (liaison/crypto.py): the ORM reads it in clear.
    code, phone = Suggestion.objects.values_list("tracking_code", "phone").get(
        pk=scalar(item, county)
    )
    category = scalar("SELECT id FROM suggestions_category ORDER BY sort_order, code LIMIT 1")
    department = scalar("SELECT id FROM suggestions_department WHERE region_id LIKE %s", county)
    deputy = scalar("SELECT code FROM stations_deputy WHERE region_id LIKE %s LIMIT 1", county)
    township = scalar(
        "SELECT code FROM liaison_region WHERE code LIKE %s AND code <> %s LIMIT 1",
        ["4304211%", "430421000000"],
    )
    year = scalar("SELECT extract(year FROM max(received_at))::int FROM suggestions_case") - 1
    return [
        ("opinions: first page", S),
        ("opinions: search tracking code", f"{S}?q={code}"),
        ("opinions: search full mobile", f"{S}?q={phone}"),
        ("opinions: search title (4 characters)", f"{S}?q=路灯不亮"),
        ("opinions: filter status", f"{S}?status__exact=assigned"),
        ("opinions: filter category", f"{S}?category={category}"),
        ("opinions: filter region", f"{S}?region={township}"),
        ("opinions: filter department", f"{S}?department={department}"),
        ("opinions: filter overdue", f"{S}?overdue=yes"),
        ("opinions: drill-down year", f"{S}?received_at__year={year}"),
        ("opinions: drill-down month", f"{S}?received_at__year={year}&received_at__month=3"),
        ("deputies: first page", D),
        ("deputies: search code", f"{D}?q={deputy}"),
        ("deputies: search name", f"{D}?q=张建国"),
        ("deputies: filter gender", f"{D}?gender__exact=F"),
    ]


class Baseline:
    """Django's own changelist machinery on our model admins, for the duration."""

    def __enter__(self):
        self.saved = []
        for model in (Suggestion, Deputy):
            model_admin = admin.site._registry[model]
            self.saved.append((model_admin, dict(model_admin.__dict__)))
            model_admin.get_changelist = lambda request, **kwargs: ChangeList
            model_admin.paginator = Paginator
            model_admin.change_list_template = None
            model_admin.show_full_result_count = True

    def __exit__(self, *exc):
        for model_admin, saved in self.saved:
            model_admin.__dict__.clear()
            model_admin.__dict__.update(saved)


def measure(client: Client, url: str) -> tuple[int, float]:
    client.get(url)
    times, queries = [], 0
    for _ in range(3):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(captured)
    return queries, statistics.median(times)


def main(usernames: list[str]) -> None:
    listed = pages()
    print("| page | user | queries | ms | Django's queries | Django's ms | ratio |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for username in usernames:
        client = Client()
        client.force_login(User.objects.get(username=username))
        for label, url in listed:
            ours = measure(client, url)
            with Baseline():
                theirs = measure(client, url)
            print(
                f"| {label} | {username} | {ours[0]} | {ours[1]:.0f} | {theirs[0]} |"
                f" {theirs[1]:.0f} | {theirs[1] / ours[1]:.1f}× |"
            )


if __name__ == "__main__":
    main(sys.argv[1:] or ["admin", "hunan_clerk", "hengyangxian_clerk"])
