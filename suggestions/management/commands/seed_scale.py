"""Fill the database to a province's scale: a million opinions, a hundred thousand
deputies, to measure the admin's changelists on (docs/performance.md).

Run after ``seed_demo`` and ``seed_demo_suggestions``: the rows go into their regions,
categories and departments. Every row is made by set-based SQL (``INSERT … SELECT`` over
``generate_series``), so a million takes a minute, not an hour; the tables are vacuumed
and analysed afterwards so the planner (and the changelist's estimated count) knows
their size.

Running it again tops up to the numbers asked for and adds nothing more: the opinions
carry a ``scale-`` submission key and the deputies an ``SC`` code.

Constituents' names and phones are encrypted at rest (``liaison.crypto``): the opinions
take theirs from a pool of ``PEOPLE`` made-up people encrypted once in Python, with the
phone index to match, so a million rows cost a few thousand encryptions, not millions.
"""

import random
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from liaison.crypto import encrypt, phone_index
from liaison.models import Region
from suggestions.models import TRACKING_ALPHABET, Category, Department

PLACES = [
    "村口",
    "镇中心",
    "学校门口",
    "集市",
    "社区",
    "卫生院旁",
    "河堤",
    "老街",
    "安置小区",
    "工业园",
]
ISSUES = [
    "道路坑洼积水",
    "路灯不亮",
    "垃圾清运不及时",
    "自来水发黄",
    "排水沟堵塞",
    "夜间噪音扰民",
    "停车难",
    "公交班次太少",
    "菜市场脏乱",
    "灌溉渠破损",
    "危桥需维修",
    "手机信号差",
    "养老服务缺人手",
    "幼儿园学位紧张",
    "快递点无处收件",
]
SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
)
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉海燕林辉春梅晓文斌")
OCCUPATIONS = [
    "村党支部书记",
    "农民",
    "教师",
    "医生",
    "企业负责人",
    "社区主任",
    "个体工商户",
    "乡镇干部",
    "合作社理事长",
    "工人",
]
# Made-up constituents the opinions are spread over (each encrypted once).
PEOPLE = 2000
# The multiplier that spreads case ids over all tracking codes: prime to 31, so
# id → code is one-to-one and no two generated opinions share a code.
CODE_SPACE = len(TRACKING_ALPHABET) ** 12
CODE_MULTIPLIER = 604462909807314587

SUGGESTIONS_SQL = """
WITH src AS (
    SELECT
        g,
        random() AS r,
        random() AS t,
        (%(regions)s::text[])[1 + floor(random() * %(region_count)s)::int] AS region_id,
        (%(categories)s::bigint[])[1 + floor(random() * %(category_count)s)::int] AS category_id,
        (%(places)s::text[])[1 + floor(random() * %(place_count)s)::int] AS place,
        (%(issues)s::text[])[1 + floor(random() * %(issue_count)s)::int] AS issue
    FROM generate_series(1, %(count)s) AS g
),
shaped AS (
    SELECT *,
        CASE
            WHEN r < 0.08 THEN 'received'
            WHEN r < 0.25 THEN 'assigned'
            WHEN r < 0.37 THEN 'replied'
            WHEN r < 0.40 THEN 'reopened'
            WHEN r < 0.85 THEN 'closed'
            WHEN r < 0.95 THEN 'answered_on_spot'
            ELSE 'rejected'
        END AS status
    FROM src
),
timed AS (
    -- Open items are recent; handled ones spread over the years asked for.
    SELECT *,
        now() - CASE
            WHEN status IN ('received', 'assigned', 'reopened') THEN t * interval '60 days'
            ELSE t * %(days)s * interval '1 day'
        END AS received_at
    FROM shaped
),
cases AS (
    INSERT INTO suggestions_case (
        kind, region_id, category_id, title, content, status, outcome, received_at,
        due_date, replied_at, closed_at, reopen_count, satisfaction, merged_into_id
    )
    SELECT
        'constituent',
        region_id,
        category_id,
        place || issue,
        place || issue || '，群众反映已有一段时间，希望有关部门尽快解决。',
        status,
        CASE status
            WHEN 'closed' THEN 'handled'
            WHEN 'answered_on_spot' THEN 'handled'
            WHEN 'rejected' THEN 'not_feasible'
            ELSE ''
        END,
        received_at,
        CASE WHEN status IN ('assigned', 'replied', 'reopened', 'closed')
            THEN (received_at + interval '21 days')::date END,
        CASE WHEN status IN ('replied', 'closed')
            THEN least(now(), received_at + interval '10 days') END,
        CASE WHEN status IN ('closed', 'answered_on_spot', 'rejected')
            THEN least(now(), received_at + interval '20 days') END,
        CASE WHEN status = 'reopened' THEN 1 ELSE 0 END,
        CASE WHEN status = 'closed' THEN 'satisfied' ELSE '' END,
        NULL
    FROM timed
    -- In the order they came in, as intake writes them: the table's physical order
    -- follows received_at, as it does in production.
    ORDER BY received_at
    RETURNING id, status, received_at, due_date, region_id
),
opinions AS (
    INSERT INTO suggestions_suggestion (
        case_ptr_id, tracking_code, channel, station_id, deputy_id, name, phone, phone_hmac,
        do_not_contact, consent_at, consent_version, submission_key, deputy_decision,
        anonymised_at
    )
    SELECT
        id,
        (
            SELECT string_agg(
                substr(
                    %(alphabet)s,
                    (div(mod(id::numeric * %(multiplier)s, %(space)s), power(31::numeric, k))
                        %% 31)::int + 1,
                    1
                ),
                '' ORDER BY k
            )
            FROM generate_series(0, 11) AS k
        ),
        (ARRAY['web', 'web', 'web', 'web', 'hotline', 'hotline', 'reception', 'reception',
               'reception', 'api'])[1 + floor(random() * 10)::int],
        NULL,
        NULL,
        (%(names)s::text[])[1 + id %% %(people)s],
        (%(phones)s::text[])[1 + id %% %(people)s],
        (%(hmacs)s::text[])[1 + id %% %(people)s],
        false,
        received_at,
        %(notice_version)s,
        'scale-' || id,
        '',
        NULL
    FROM cases
    RETURNING case_ptr_id
)
INSERT INTO suggestions_assignment (
    case_id, department_id, role, status, time_limit_days, time_limit_months, assigned_at,
    due_date, assigned_by_id, return_reason
)
SELECT
    cases.id,
    departments.ids[1 + floor(random() * array_length(departments.ids, 1))::int],
    'lead',
    CASE WHEN cases.status IN ('assigned', 'reopened') THEN 'active' ELSE 'replied' END,
    15,
    NULL,
    cases.received_at + interval '1 day',
    cases.due_date,
    NULL,
    ''
FROM cases
JOIN scale_departments AS departments ON departments.county = left(cases.region_id, 6)
WHERE cases.status IN ('assigned', 'replied', 'reopened', 'closed')
"""

DEPUTIES_SQL = """
INSERT INTO stations_deputy (code, name, gender, region_id, occupation, phone, bio, user_id,
                             is_active)
SELECT
    'SC' || lpad(g::text, 8, '0'),
    (%(surnames)s::text[])[1 + floor(random() * %(surname_count)s)::int]
        || (%(given)s::text[])[1 + floor(random() * %(given_count)s)::int]
        || CASE WHEN random() < 0.7
            THEN (%(given)s::text[])[1 + floor(random() * %(given_count)s)::int] ELSE '' END,
    (ARRAY['M', 'F'])[1 + floor(random() * 2)::int],
    (%(regions)s::text[])[1 + floor(random() * %(region_count)s)::int],
    (%(occupations)s::text[])[1 + floor(random() * %(occupation_count)s)::int],
    '1' || (ARRAY['3', '5', '7', '8', '9'])[1 + floor(random() * 5)::int]
        || lpad(floor(random() * 1000000000)::bigint::text, 9, '0'),
    '',
    NULL,
    random() < 0.95
FROM generate_series(1, %(count)s) AS g
ON CONFLICT (code) DO NOTHING
"""


def _people() -> dict:
    """The pool of made-up constituents: encrypted names and phones, and phone indexes."""
    rng = random.Random(2026)  # noqa: S311 (made-up data, not a secret)
    names, phones, hmacs = [], [], []
    for _ in range(PEOPLE):
        phone = f"1{rng.choice('35789')}{rng.randrange(10**9):09d}"
        names.append(encrypt(rng.choice(SURNAMES) + rng.choice(["先生", "女士"])))
        phones.append(encrypt(phone))
        hmacs.append(phone_index(phone))
    return {"names": names, "phones": phones, "hmacs": hmacs, "people": PEOPLE}


class Command(BaseCommand):
    help = (
        "Add opinions and deputies up to a province's scale (default 1,000,000 and 100,000) "
        "with set-based SQL, after seed_demo and seed_demo_suggestions. PostgreSQL only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--suggestions", type=int, default=1_000_000)
        parser.add_argument("--deputies", type=int, default=100_000)
        parser.add_argument(
            "--years", type=int, default=3, help="Spread the handled opinions over this many years."
        )
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_scale fills the database with made-up rows; it runs only "
                "with DEBUG=1 or with --force."
            )
        if connection.vendor != "postgresql":
            raise CommandError("seed_scale needs PostgreSQL (generate_series, ANALYZE).")
        # Opinions come from townships and villages; deputies live anywhere below a city.
        local = list(
            Region.objects.filter(level__in=["township", "village"]).values_list("code", flat=True)
        )
        homes = list(
            Region.objects.filter(level__in=["county", "township", "village"]).values_list(
                "code", flat=True
            )
        )
        categories = list(Category.objects.values_list("pk", flat=True))
        if not local or not categories or not Department.objects.exists():
            raise CommandError("Run seed_demo and seed_demo_suggestions first.")
        added = self._suggestions(options["suggestions"], options["years"], local, categories)
        deputies = self._deputies(options["deputies"], homes)
        started = time.monotonic()
        # VACUUM as well where it can run (not inside a transaction, as in a test): a
        # table settled by autovacuum has its visibility map set, so counts can read
        # the indexes alone; right after a bulk load it does not.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for table in (
                "suggestions_case",
                "suggestions_suggestion",
                "suggestions_assignment",
                "stations_deputy",
            ):
                cursor.execute(f"{command} {table}")
        self.stdout.write(f"{command} of the tables in {time.monotonic() - started:.1f} s.")
        self.stdout.write(
            self.style.SUCCESS(f"Scale data: {added} new opinions, {deputies} new deputies.")
        )

    def _suggestions(self, wanted: int, years: int, local, categories) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM suggestions_suggestion WHERE submission_key LIKE %s",
                ["scale-%"],
            )
            missing = wanted - cursor.fetchone()[0]
        if missing <= 0:
            return 0
        started = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            # Each county's departments (its own and its townships'), to assign items to.
            cursor.execute("DROP TABLE IF EXISTS pg_temp.scale_departments")
            cursor.execute(
                "CREATE TEMPORARY TABLE scale_departments ON COMMIT DROP AS "
                "SELECT left(region_id, 6) AS county, array_agg(id ORDER BY id) AS ids "
                "FROM suggestions_department WHERE is_active GROUP BY 1"
            )
            cursor.execute(
                SUGGESTIONS_SQL,
                {
                    "count": missing,
                    "days": years * 365,
                    "regions": local,
                    "region_count": len(local),
                    "categories": categories,
                    "category_count": len(categories),
                    "places": PLACES,
                    "place_count": len(PLACES),
                    "issues": ISSUES,
                    "issue_count": len(ISSUES),
                    **_people(),
                    "alphabet": TRACKING_ALPHABET,
                    "multiplier": CODE_MULTIPLIER,
                    "space": CODE_SPACE,
                    "notice_version": settings.LIAISON_PRIVACY_NOTICE_VERSION,
                },
            )
        self.stdout.write(f"{missing} opinions in {time.monotonic() - started:.1f} s.")
        return missing

    def _deputies(self, wanted: int, homes) -> int:
        started = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                DEPUTIES_SQL,
                {
                    "count": wanted,
                    "surnames": SURNAMES,
                    "surname_count": len(SURNAMES),
                    "given": GIVEN,
                    "given_count": len(GIVEN),
                    "regions": homes,
                    "region_count": len(homes),
                    "occupations": OCCUPATIONS,
                    "occupation_count": len(OCCUPATIONS),
                },
            )
            added = cursor.rowcount
        self.stdout.write(f"{added} deputies in {time.monotonic() - started:.1f} s.")
        return added
