"""Demo categories, handling departments, routing rules and opinions at every stage.

Run after ``seed_demo`` (``make run`` runs both). Idempotent: departments and rules are
keyed by name and region, opinions by a fixed submission key, so a second run adds
nothing. The opinions echo matters the Hunan newsletters record (seeds 000–004).
"""

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from liaison.models import Region, User
from stations import demo_data
from stations.models import Station
from suggestions import services
from suggestions.models import Assignment, Case, Category, Department, RoutingRule, Suggestion

# County bureaus and the categories they handle, with their time limits (working days).
COUNTY_BUREAUS = [
    ("交通运输局", ["roads"], 15),
    ("水利局", ["water"], 15),
    ("教育局", ["education"], 20),
    ("卫生健康局", ["health", "elderly"], 15),
    ("住房和城乡建设局", ["housing", "living"], 20),
    ("人力资源和社会保障局", ["employment"], 15),
    ("生态环境分局", ["environment"], 15),
]
# Matters a township government settles itself (分级负责、归口办理).
TOWNSHIP_CATEGORIES = ["disputes", "agriculture", "safety"]

# (station region, category, title, content, stage)
OPINIONS = [
    (
        "430421100000",
        "roads",
        "黄高线公路坑洼",
        "黄高线西渡段路面坑洼积水，雨天车辆难行，请尽快维修。",
        "closed",
    ),
    (
        "430421100000",
        "water",
        "自来水水质发黄",
        "蒸阳社区自来水近一周发黄，有异味，请检测水质。",
        "replied",
    ),
    (
        "430421100000",
        "living",
        "增设路灯",
        "西渡村主干道夜间无路灯，老人出行不便，建议增设路灯。",
        "assigned",
    ),
    (
        "430421100000",
        "disputes",
        "邻里宅基地纠纷",
        "两户村民因宅基地边界发生争执，请镇里调解。",
        "overdue",
    ),
    (
        "430421100000",
        "other",
        "希望开通城乡公交",
        "希望开通西渡至界牌的城乡公交线路，方便群众出行。",
        "received",
    ),
    (
        "430421110000",
        "health",
        "村卫生室缺医生",
        "界牌村卫生室只有一名医生，群众看病排队时间长。",
        "reopened",
    ),
    (
        "430421110000",
        "education",
        "学校周边交通安全",
        "界牌中学门口放学时段车辆拥堵，建议设置减速带和护学岗。",
        "assigned",
    ),
    (
        "430421110000",
        "agriculture",
        "农产品销路",
        "今年柑橘丰收但销路不畅，希望帮助对接电商平台。",
        "answered",
    ),
]


class Command(BaseCommand):
    help = "Load demo categories, departments, routing rules and opinions (after seed_demo)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("seed_demo_suggestions runs only with DEBUG=1 or with --force.")
        with transaction.atomic():
            self._points()
            categories = self._categories()
            self._departments(categories)
            opinions = self._opinions(categories)
            self._deputy_suggestion(categories)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo suggestions: {len(categories)} categories, "
                f"{Department.objects.count()} departments, {RoutingRule.objects.count()} "
                f"routing rules, {opinions} new opinions."
            )
        )

    def _points(self) -> None:
        """The provincial points rules and grade bands of seed 000/003 (履职积分): a
        reception 5 points, a suggestion 3, an absence −1; 80/60 of 100."""
        from stations.models import GradeBand, PointRule

        province = Region.objects.filter(code="430000000000").first()
        if province is None:
            return
        start = dt.date(timezone.localdate().year, 1, 1)
        for kind, points, cap in (
            ("duty_attended", 5, 40),
            ("duty_missed", -1, None),
            ("reception_logged", 5, 40),
            ("suggestion_submitted", 3, 30),
            ("ballot_cast", 2, 10),
            ("claim_activity", 2, 20),
        ):
            PointRule.objects.get_or_create(
                region=province,
                kind=kind,
                valid_from=start,
                defaults={"points": points, "cap_per_period": cap},
            )
        for label, minimum in (("优秀", 80), ("合格", 60), ("不合格", None)):
            GradeBand.objects.get_or_create(
                region=province, label=label, defaults={"min_score": minimum}
            )

    def _deputy_suggestion(self, categories: dict[str, Category]) -> None:
        """The demo deputy's suggestion on the road the constituents wrote about,
        accepted, numbered and with the county transport bureau."""
        from suggestions import deputy_suggestions
        from suggestions.models import DeputySuggestion

        deputy_user = User.objects.filter(username="deputy_demo").first()
        office = User.objects.filter(username="hengyangxian_clerk").first()
        deputy = getattr(deputy_user, "deputy", None)
        if deputy is None or office is None:
            return
        if DeputySuggestion.objects.filter(author=deputy).exists():
            return
        membership = deputy.memberships.select_related("congress").first()
        if membership is None or membership.congress.region_id is None:
            return
        suggestion = deputy_suggestions.deputy_suggestion_draft(
            user=deputy_user,
            congress=membership.congress,
            title="关于将黄高线西渡段纳入年度公路养护计划的建议",
            content=(
                "黄高线西渡段路面坑洼积水，群众多次通过联络站反映。建议县交通运输局"
                "将该路段纳入年度养护计划，雨季前完成修补，并完善排水设施。"
            ),
            category=categories["roads"],
        )
        deputy_suggestions.deputy_suggestion_submit(suggestion=suggestion, user=deputy_user)
        deputy_suggestions.deputy_suggestion_accept(suggestion=suggestion, user=office)
        bureau = Department.objects.filter(name="衡阳县交通运输局").first()
        if bureau is not None:
            services.case_assign(case=suggestion, lead=bureau, actor=office)

    def _categories(self) -> dict[str, Category]:
        categories = {}
        for order, (code, name) in enumerate(demo_data.CATEGORIES, start=1):
            categories[code], _ = Category.objects.get_or_create(
                code=code, defaults={"name": name, "sort_order": order * 10}
            )
        return categories

    def _departments(self, categories: dict[str, Category]) -> None:
        counties = Region.objects.filter(level=Region.Level.COUNTY)
        for county in counties:
            for suffix, codes, days in COUNTY_BUREAUS:
                department, _ = Department.objects.get_or_create(
                    region=county, name=f"{county.name}{suffix}"
                )
                for code in codes:
                    RoutingRule.objects.get_or_create(
                        region=county,
                        category=categories[code],
                        defaults={"department": department, "time_limit_days": days},
                    )
        for township in Region.objects.filter(level=Region.Level.TOWNSHIP):
            government, _ = Department.objects.get_or_create(
                region=township,
                name=f"{township.name}人民政府",
                defaults={"parent": None},
            )
            for code in TOWNSHIP_CATEGORIES:
                RoutingRule.objects.get_or_create(
                    region=township,
                    category=categories[code],
                    defaults={"department": government, "time_limit_days": 10},
                )
        handler = User.objects.filter(username="dept_handler").first()
        bureau = Department.objects.filter(name="衡阳县交通运输局").first()
        if handler and bureau:
            bureau.users.add(handler)
            bureau.supervisor_name = bureau.supervisor_name or "周局长"
            bureau.save(update_fields=["supervisor_name"])

    def _opinions(self, categories: dict[str, Category]) -> int:
        created = 0
        office = User.objects.filter(username="hengyangxian_clerk").first()
        for index, (region_code, category, title, content, stage) in enumerate(OPINIONS):
            key = f"demo-{index}"
            if Suggestion.objects.filter(submission_key=key).exists():
                continue
            station = Station.objects.filter(region_id=region_code, is_active=True).first()
            if station is None:
                continue
            suggestion = services.suggestion_submit(
                channel="web",
                station=station,
                category=categories[category],
                title=title,
                content=content,
                name="张" + "三四五六七八九十"[index],
                phone=f"1380013{index:04d}",
                consent=True,
                submission_key=key,
                route=False,
            )
            created += 1
            self._advance(suggestion, stage, office)
        return created

    def _advance(self, suggestion: Suggestion, stage: str, office: User | None) -> None:
        if stage == "received":
            services.case_route(case_id=suggestion.pk)
            return
        if stage == "answered":
            services.case_answer_on_spot(
                case=suggestion,
                user=office,
                public_text="已联系县商务局对接电商平台，下周上门服务。",
            )
            return
        assignment = services.case_route(case_id=suggestion.pk)
        if assignment is None:
            return
        if stage == "overdue":
            # As if assigned three weeks ago and never answered.
            past = timezone.localdate() - dt.timedelta(days=3)
            Assignment.objects.filter(pk=assignment.pk).update(due_date=past)
            Case.objects.filter(pk=suggestion.pk).update(due_date=past)
            return
        if stage == "assigned":
            return
        services.case_reply(
            case=suggestion,
            department=assignment.department,
            author=None,
            public_text="已安排专人现场查看，将于两周内处理完毕。",
            internal_note="已列入本月工作计划",
        )
        if stage == "closed":
            services.case_rate(case=suggestion, rating="satisfied", comment="修得很快")
        elif stage == "reopened":
            services.case_rate(case=suggestion, rating="unsatisfied", comment="还是没有医生")
