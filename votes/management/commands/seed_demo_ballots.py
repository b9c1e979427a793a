"""Demo livelihood-project ballots (民生实事项目人大代表票决制), after ``seed_demo`` and
``seed_demo_suggestions`` (``make run`` runs all three).

From the Hunan newsletters in ``shared/seeds/``:

- seed 001: 汨罗市屈子祠镇 is the province's contact point for township ballots; its
  名山渡口改造项目 passed unanimously, the people gave their labour and it was done more
  than a month early; 云溪区路口镇 lit its main road (and deputies went to "pick faults"
  on 7 August); 华容县三封寺镇 built a garbage compression station; deputy groups
  supervise each project ("年初问选题、年中查进度、年底问绩效");
- seed 000 (section 五): 衡阳 runs ballots in every county and township; 衡东县 rebuilt
  the 栗木—霞流 road, 石鼓区 enlarged the 黄沙湾 drainage station; the negative list
  ("不纳入的基本条件") and the margin (差额比例) are part of the rules.

It creates the region-less negative list, 衡阳县's 2027 cycle open for voting (12
candidates for 10 places; every deputy of the congress has a demo account), and 屈子祠镇's
2026 cycle voted, counted with a double-entered paper tally, published and being
implemented. Everything goes through the services; ballots through ``ballot_cast``.

Idempotent: a cycle is keyed by (congress, year) and built only if it is missing;
accounts and list items by their names. A second run changes nothing.
"""

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from liaison.models import User
from stations.management.commands.seed_demo import DEMO_PASSWORD
from stations.models import Congress, Deputy, DeputyGroup, Level
from votes import services, tracking
from votes.models import (
    BallotCycle,
    Candidate,
    Choice,
    Inspection,
    Milestone,
    NegativeListItem,
    Phase,
    Project,
    Proposal,
)

HENGYANG_COUNTY = "430421000000"
QUZICI = "430681118000"

# The usual "不纳入" items of the guidance (seed 000: 纳入及不纳入的基本条件).
NEGATIVE_LIST = [
    "楼堂馆所建设",
    "形象工程和政绩工程",
    "应由市场主体投资的经营性项目",
    "已列入上级财政计划的项目",
    "当年无法完成且无明确年度目标的项目",
    "超出本级财力的项目",
]

# 衡阳县 2027: (source, title, content, place, investment in 10,000 yuan, department,
# planned completion). Department names are prefixed with the county's.
HENGYANG_PROPOSALS = [
    (
        "department",
        "蒸阳社区排渍站扩建",
        "借鉴石鼓区扩建黄沙湾排渍站解决雁栖湖片区内涝的做法，扩建西渡镇蒸阳社区"
        "排渍站，新增排渍泵组两台，解决汛期集镇低洼地段内涝。",
        "西渡镇蒸阳社区",
        "1200",
        "水利局",
        (2027, 9, 30),
    ),
    (
        "public",
        "界牌至西渡三级公路改建",
        "参照衡东县栗木至霞流三级公路改建，将界牌至西渡的县道按三级公路标准改建，"
        "方便沿线村民出行和农产品外运。",
        "界牌镇、西渡镇",
        "2800",
        "交通运输局",
        (2027, 12, 31),
    ),
    (
        "deputy",
        "黄高线西渡段路面修复",
        "黄高线西渡段路面坑洼积水，群众多次通过联络站反映。修复路面并完善排水设施。",
        "西渡镇",
        "600",
        "交通运输局",
        (2027, 6, 30),
    ),
    (
        "department",
        "农村集中供水工程提质改造",
        "改造老旧管网和水厂净水设备，解决部分村组自来水发黄、水压不足的问题。",
        "全县",
        "900",
        "水利局",
        (2027, 11, 30),
    ),
    (
        "public",
        "乡镇垃圾压缩站建设",
        "借鉴华容县三封寺镇建设垃圾压缩站的经验，在界牌镇新建垃圾压缩站一座。",
        "界牌镇",
        "450",
        "住房和城乡建设局",
        (2027, 10, 31),
    ),
    (
        "deputy",
        "村主干道路灯安装",
        "借鉴云溪区路口镇路灯安装的做法，为西渡村、界牌村主干道安装太阳能路灯，"
        "解决群众夜间出行难。",
        "西渡村、界牌村",
        "300",
        "住房和城乡建设局",
        (2027, 8, 31),
    ),
    (
        "public",
        "界牌村卫生室标准化建设",
        "村卫生室只有一名医生，群众看病排队时间长。按标准改造诊室并配备医务人员。",
        "界牌镇界牌村",
        "200",
        "卫生健康局",
        (2027, 9, 30),
    ),
    (
        "public",
        "界牌中学周边交通安全设施",
        "界牌中学门口放学时段车辆拥堵，设置减速带、标志标线和护学岗。",
        "界牌镇",
        "80",
        "交通运输局",
        (2027, 5, 31),
    ),
    (
        "deputy",
        "农村互助养老服务站建设",
        "在五个行政村建设互助养老服务站，为留守老人提供日间照料和助餐服务。",
        "西渡镇、界牌镇",
        "350",
        "卫生健康局",
        (2027, 12, 31),
    ),
    (
        "department",
        "农村户厕改造",
        "推进农村“厕所革命”，完成一千户农村户厕改造。",
        "全县",
        "500",
        "住房和城乡建设局",
        (2027, 11, 30),
    ),
    (
        "public",
        "开通西渡至界牌城乡公交",
        "开通西渡至界牌的城乡公交线路，建设候车亭十座，方便群众出行。",
        "西渡镇、界牌镇",
        "150",
        "交通运输局",
        (2027, 7, 31),
    ),
    (
        "deputy",
        "农产品冷链仓储设施建设",
        "今年柑橘丰收但销路不畅。建设产地冷链仓储设施，帮助农户错峰销售。",
        "界牌镇",
        "400",
        "人力资源和社会保障局",
        (2027, 12, 31),
    ),
]
# The proposal screening turns down, and the negative-list item it falls under.
HENGYANG_REJECTED = (
    "department",
    "县直机关办公楼装修改造",
    "对县直机关办公楼进行整体装修改造，更新办公设施。",
    "县城",
    "800",
    "住房和城乡建设局",
    "楼堂馆所建设",
)

# 屈子祠镇 2026: (title, content, investment, planned completion). The first three are
# selected by the ballots below; the first unanimously.
QUZICI_CANDIDATES = [
    (
        "名山渡口改造项目",
        "改造汨罗江名山渡口码头、候船亭和进出道路，保障两岸群众安全过渡。",
        "120",
        (2026, 10, 31),
    ),
    (
        "集镇及屈子祠村主干道路灯安装",
        "借鉴云溪区路口镇路灯安装的做法，在集镇和屈子祠村主干道安装路灯一百二十盏。",
        "60",
        (2026, 12, 31),
    ),
    (
        "垃圾压缩站建设",
        "借鉴华容县三封寺镇的做法，新建垃圾压缩站一座，配套转运车辆。",
        "85",
        (2026, 12, 31),
    ),
    ("村民文化广场建设", "在屈子祠村建设村民文化广场，配套健身器材。", "40", (2026, 11, 30)),
    ("集镇停车场建设", "在集镇新建停车场一处，缓解赶集日停车难。", "55", (2026, 12, 31)),
]
QUZICI_REJECTED = (
    "集镇形象大门建设",
    "在集镇入口建设形象大门和景观雕塑。",
    "形象工程和政绩工程",
)
QUZICI_PLACES = 3
PAPER_VOTERS = 2  # deputies who vote on paper; the scrutineers enter their tally


class Command(BaseCommand):
    help = "Load demo ballot cycles: one open for voting, one being implemented (after seed_demo)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (the demo accounts have a published password).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo_ballots creates accounts with a published password; it runs only "
                "with DEBUG=1 (make run sets it) or with --force."
            )
        self.today = timezone.localdate()
        with transaction.atomic():
            negative = self._negative_list()
            open_cycle, usernames = self._hengyang_county(negative)
            implementing = self._quzici(negative)
        projects = Project.objects.filter(candidate__cycle=implementing).count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ballots: “{open_cycle}” is open for voting; “{implementing}” is being "
                f"implemented ({projects} projects). Demo password: {DEMO_PASSWORD}"
            )
        )
        self.stdout.write("Deputies who may vote in the open cycle: " + ", ".join(usernames))

    # --- Shared --------------------------------------------------------------------------

    def _negative_list(self) -> dict[str, NegativeListItem]:
        items = {}
        for order, text in enumerate(NEGATIVE_LIST, start=1):
            items[text], _ = NegativeListItem.objects.get_or_create(
                region=None, text=text, defaults={"sort_order": order * 10}
            )
        return items

    def _congress(self, level: str, region: str) -> Congress:
        congress = Congress.objects.filter(level=level, region_id=region).order_by("-pk").first()
        if congress is None:
            raise CommandError(f"No {level} congress for {region}: run seed_demo first.")
        return congress

    def _office(self, username: str, region: str, first_name: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is not None:
            # Existing accounts keep whatever password their owner has set since.
            return user
        user = User(username=username, role=User.Role.OFFICE, region_id=region)
        user.first_name = first_name
        user.set_password(DEMO_PASSWORD)
        user.save()
        return user

    def _on(self, year: int, month: int, day: int) -> dt.date:
        # The story is dated in 2026; never after today (reports cannot be in the future).
        return min(dt.date(year, month, day), self.today)

    # --- 衡阳县 2027: open for voting ---------------------------------------------------

    def _hengyang_county(self, negative) -> tuple[BallotCycle, list[str]]:
        congress = self._congress(Level.COUNTY, HENGYANG_COUNTY)
        office = User.objects.filter(username="hengyangxian_clerk").first()
        demo_deputy = Deputy.objects.filter(user__username="deputy_demo").first()
        if office is None or demo_deputy is None:
            raise CommandError("The demo accounts are missing: run seed_demo first.")
        cycle = BallotCycle.objects.filter(congress=congress, year=2027).first()
        if cycle is None:
            cycle = self._hengyang_cycle(congress, office, demo_deputy, negative)
        return cycle, self._deputy_accounts(cycle)

    def _hengyang_cycle(self, congress, office, demo_deputy, negative) -> BallotCycle:
        county = congress.region.name
        cycle = BallotCycle(
            congress=congress,
            year=2027,
            title=f"{county}2027年民生实事项目人大代表票决",
            session=self._session(congress, "第六次会议"),
            places=10,
            margin_ratio=Decimal("0.20"),
            notes=(
                "差额票决：12个候选项目中票决产生10个民生实事项目。每位代表对每个候选项目"
                "投赞成、反对或弃权票，赞成票不超过10个；获全体代表过半数赞成票的项目"
                "按得票多少确定。"
            ),
        )
        cycle.full_clean()
        cycle.save()
        accepted: list[tuple[Proposal, tuple]] = []
        # 征集: the public and deputies while collecting ...
        for item in HENGYANG_PROPOSALS:
            if item[0] in ("public", "deputy"):
                accepted.append((self._propose(cycle, item, county, demo_deputy, office), item))
        services.cycle_move(cycle=cycle, to=Phase.SCREENING, by=office)
        cycle.refresh_from_db()
        # ... departments until screening ends.
        for item in HENGYANG_PROPOSALS:
            if item[0] == "department":
                accepted.append((self._propose(cycle, item, county, demo_deputy, office), item))
        rejected = self._propose(cycle, HENGYANG_REJECTED, county, demo_deputy, office)
        services.proposal_screen(
            proposal=rejected,
            accept=False,
            reason="属于负面清单中的楼堂馆所建设，不纳入民生实事候选项目。",
            negative_items=[negative[HENGYANG_REJECTED[6]]],
            by=office,
        )
        # The ballot order follows the list above, whoever proposed.
        accepted.sort(key=lambda pair: HENGYANG_PROPOSALS.index(pair[1]))
        for proposal, item in accepted:
            services.proposal_screen(
                proposal=proposal,
                accept=True,
                public_benefit=True,
                feasible=True,
                affordable=True,
                reason="符合普惠性、公益性，当年可实施，在县级财力范围内。",
                by=office,
            )
            _source, title, content, place, amount, unit, planned = item
            services.candidate_from_proposals(
                cycle=cycle,
                proposals=[proposal],
                title=title,
                description=content,
                investment=Decimal(amount),
                responsible_unit=f"{county}{unit}",
                planned_completion=dt.date(*planned),
                location=place,
                by=office,
            )
        services.cycle_move(cycle=cycle, to=Phase.CANDIDATES, by=office)
        services.voting_open(cycle=cycle, by=office)
        cycle.refresh_from_db()
        return cycle

    def _propose(self, cycle, item, county, demo_deputy, office) -> Proposal:
        source, title, content, place, amount, unit = item[:6]
        return services.proposal_submit(
            cycle=cycle,
            source=source,
            title=title,
            content=content,
            location=place,
            estimated_investment=Decimal(amount),
            deputy=demo_deputy if source == "deputy" else None,
            department_name=f"{county}{unit}" if source == "department" else "",
            by={"public": None, "deputy": demo_deputy.user, "department": office}[source],
        )

    def _deputy_accounts(self, cycle: BallotCycle) -> list[str]:
        """Every deputy who may vote in the open cycle gets a demo account: deputy_demo
        (linked by seed_demo) and hyx_deputy01, 02, … for the others, in code order."""
        usernames = []
        others = 0
        for deputy in services.eligible_deputies(cycle).select_related("user").order_by("code"):
            if deputy.user is not None and deputy.user.username == "deputy_demo":
                usernames.append("deputy_demo")
                continue
            others += 1
            if deputy.user is not None:
                usernames.append(deputy.user.username)
                continue
            username = f"hyx_deputy{others:02d}"
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username, role=User.Role.DEPUTY, first_name=deputy.name)
                user.set_password(DEMO_PASSWORD)
                user.save()
            elif Deputy.objects.filter(user=user).exists():
                self.stderr.write(f"{username} belongs to another deputy; {deputy.name} has none.")
                continue
            deputy.user = user
            deputy.save(update_fields=["user"])
            usernames.append(username)
        return usernames

    @staticmethod
    def _session(congress: Congress, meeting: str) -> str:
        return f"{congress.name.removesuffix('人民代表大会')}{congress.term}人民代表大会{meeting}"

    # --- 屈子祠镇 2026: voted, counted, published, implementing ------------------------

    def _quzici(self, negative) -> BallotCycle:
        congress = self._congress(Level.TOWNSHIP, QUZICI)
        clerk = self._office("quzici_clerk", QUZICI, "屈子祠镇人大主席团")
        scrutineer = self._office("quzici_scrutineer", QUZICI, "屈子祠镇人大监票人")
        cycle = BallotCycle.objects.filter(congress=congress, year=2026).first()
        if cycle is not None:
            return cycle
        cycle = BallotCycle(
            congress=congress,
            year=2026,
            title="屈子祠镇2026年民生实事项目人大代表票决",
            session=self._session(congress, "第五次会议"),
            places=QUZICI_PLACES,
            margin_ratio=Decimal("0.20"),
            notes="省人大常委会联工委确定的全省乡镇民生实事项目人大代表票决制联系点。",
        )
        cycle.full_clean()
        cycle.save()
        candidates = self._quzici_candidates(cycle, clerk, negative)
        self._quzici_vote(cycle, candidates, clerk, scrutineer)
        services.results_publish(cycle=cycle, by=clerk)
        cycle.refresh_from_db()
        projects = services.implementation_start(cycle=cycle, by=clerk)
        self._quzici_tracking(congress, projects, clerk)
        cycle.refresh_from_db()
        return cycle

    def _quzici_candidates(self, cycle, clerk, negative) -> list[Candidate]:
        government = "屈子祠镇人民政府"
        deputies = list(services.eligible_deputies(cycle).order_by("code"))
        proposals = []
        for index, (title, content, amount, _planned) in enumerate(QUZICI_CANDIDATES):
            source = ("public", "deputy", "public", "deputy", "public")[index]
            proposals.append(
                services.proposal_submit(
                    cycle=cycle,
                    source=source,
                    title=title,
                    content=content,
                    location="屈子祠镇",
                    estimated_investment=Decimal(amount),
                    deputy=deputies[index] if source == "deputy" else None,
                )
            )
        services.cycle_move(cycle=cycle, to=Phase.SCREENING, by=clerk)
        cycle.refresh_from_db()
        title, content, item = QUZICI_REJECTED
        rejected = services.proposal_submit(
            cycle=cycle,
            source="department",
            title=title,
            content=content,
            location="屈子祠镇集镇",
            estimated_investment=Decimal("90"),
            department_name=government,
            by=clerk,
        )
        services.proposal_screen(
            proposal=rejected,
            accept=False,
            reason="属于形象工程，不纳入候选项目。",
            negative_items=[negative[item]],
            by=clerk,
        )
        candidates = []
        for proposal, (title, content, amount, planned) in zip(
            proposals, QUZICI_CANDIDATES, strict=True
        ):
            services.proposal_screen(
                proposal=proposal,
                accept=True,
                public_benefit=True,
                feasible=True,
                affordable=True,
                by=clerk,
            )
            candidates.append(
                services.candidate_from_proposals(
                    cycle=cycle,
                    proposals=[proposal],
                    title=title,
                    description=content,
                    investment=Decimal(amount),
                    responsible_unit=government,
                    planned_completion=dt.date(*planned),
                    location="屈子祠镇",
                    by=clerk,
                )
            )
        services.cycle_move(cycle=cycle, to=Phase.CANDIDATES, by=clerk)
        return candidates

    @staticmethod
    def _marks(index: int, candidates: list[Candidate]) -> dict[int, str]:
        """Deputy ``index``'s ballot: the ferry for all; the lights for all but the
        first; the compression station for all but the first two. So the scores are n,
        n − 1, n − 2, 2 and 1: three projects selected, no tie at the cut line."""
        ferry, lights, station, square, parking = (c.pk for c in candidates)
        F, A, X = Choice.FOR.value, Choice.AGAINST.value, Choice.ABSTAIN.value
        if index == 0:
            return {ferry: F, lights: A, station: X, square: F, parking: F}
        if index == 1:
            return {ferry: F, lights: F, station: A, square: F, parking: A}
        return {ferry: F, lights: F, station: F, square: A, parking: X if index % 2 else A}

    def _quzici_vote(self, cycle, candidates, clerk, scrutineer) -> None:
        deputies = list(services.eligible_deputies(cycle).order_by("code"))
        if len(deputies) < PAPER_VOTERS + 4:
            raise CommandError("The 屈子祠镇 congress has too few deputies: run seed_demo first.")
        round_ = services.voting_open(cycle=cycle, by=clerk)
        services.attendance_set(cycle=cycle, deputies=deputies, by=clerk)
        electronic = deputies[:-PAPER_VOTERS]
        for index, deputy in enumerate(electronic):
            services.ballot_cast(round_=round_, deputy=deputy, marks=self._marks(index, candidates))
        round_ = services.round_close(round_=round_, by=clerk)
        # The paper ballots, counted by the scrutineers and typed in twice.
        lines = {(c.pk, str(choice)): 0 for c in candidates for choice in round_.choices}
        for index in range(len(electronic), len(deputies)):
            for candidate_id, choice in self._marks(index, candidates).items():
                lines[(candidate_id, choice)] += 1
        for by in (clerk, scrutineer):
            services.tally_enter(
                round_=round_,
                by=by,
                issued=PAPER_VOTERS,
                returned=PAPER_VOTERS,
                invalid=0,
                lines=lines,
            )
        services.round_count(round_=round_, by=clerk)

    # --- Tracking ------------------------------------------------------------------------

    def _quzici_tracking(self, congress: Congress, projects: list[Project], clerk) -> None:
        deputies = list(
            Deputy.objects.filter(
                is_active=True, memberships__congress=congress, memberships__is_active=True
            ).order_by("code")
        )
        for index, project in enumerate(projects):
            title = project.candidate.title
            members = [deputies[(index + k) % len(deputies)] for k in range(3)]
            group, _ = DeputyGroup.objects.get_or_create(
                region_id=QUZICI,
                name=f"{title}监督代表小组",
                defaults={"congress": congress, "leader": members[0]},
            )
            group.members.add(*members)
            project.supervising_group = group
            project.plan = (
                f"由{project.candidate.responsible_unit}组织实施，代表小组全程监督："
                "年初问计划、年中问进度、年底问效果。"
            )
            project.save(update_fields=["supervising_group", "plan", "updated_at"])
            if title in STORIES:
                self._story(project, clerk, members, STORIES[title])

    def _story(self, project, clerk, members, story: "Story") -> None:
        """The project's tracking so far, recorded through ``votes.tracking``."""
        on = self._on
        for title, due, progress, done in story.milestones:
            due_date = self.today - dt.timedelta(days=21) if due is OVERDUE else dt.date(*due)
            milestone = Milestone.objects.create(project=project, title=title, due_date=due_date)
            if progress:
                tracking.milestone_update(
                    milestone=milestone,
                    progress=progress,
                    completed_on=on(*done) if done else None,
                    by=clerk,
                )
        for day, progress, spent, note in story.reports:
            tracking.progress_report_add(
                project=project,
                reported_on=on(*day),
                progress=progress,
                spent=Decimal(spent),
                note=note,
                by=clerk,
            )
        for scene, caption, taken_on in story.photos:
            tracking.photo_add(
                project=project,
                image=SimpleUploadedFile("demo.jpg", scene(), content_type="image/jpeg"),
                caption=caption,
                taken_on=on(*taken_on),
                by=clerk,
            )
        for kind, day, finding, report, taking_part in story.inspections:
            tracking.inspection_submit(
                project=project,
                kind=kind,
                inspected_on=on(*day),
                finding=finding,
                report=report,
                deputies=members[:taking_part],
                by=clerk,
            )


# --- Demo photos, drawn ----------------------------------------------------------------

SIZE = (640, 420)


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _ferry_scene() -> bytes:
    image = Image.new("RGB", SIZE, (170, 205, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 250, 640, 420], fill=(70, 120, 170))  # the 汨罗江
    draw.polygon([(0, 250), (260, 250), (330, 420), (0, 420)], fill=(150, 150, 145))  # quay
    for step in range(6):  # steps down to the water
        draw.line(
            [(40 + step * 40, 260 + step * 25), (120 + step * 40, 260 + step * 25)],
            fill=(110, 110, 105),
            width=4,
        )
    draw.rectangle([60, 170, 200, 250], fill=(235, 225, 200))  # pavilion
    draw.polygon([(40, 170), (130, 120), (220, 170)], fill=(170, 40, 40))
    draw.polygon([(420, 300), (600, 300), (570, 335), (450, 335)], fill=(120, 80, 40))  # boat
    return _jpeg(image)


def _pavilion_scene() -> bytes:
    image = Image.new("RGB", SIZE, (175, 210, 238))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 330, 640, 420], fill=(150, 150, 145))  # the new quay
    draw.polygon([(120, 150), (320, 60), (520, 150)], fill=(170, 40, 40))  # roof
    for x in (160, 250, 390, 480):
        draw.rectangle([x - 8, 150, x + 8, 330], fill=(120, 60, 40))  # pillars
    draw.rectangle([180, 280, 460, 295], fill=(140, 90, 50))  # a bench
    return _jpeg(image)


def _lights_scene() -> bytes:
    image = Image.new("RGB", SIZE, (25, 30, 60))
    draw = ImageDraw.Draw(image)
    draw.polygon([(250, 180), (390, 180), (640, 420), (0, 420)], fill=(60, 60, 65))  # road
    for side, x0 in ((-1, 230), (1, 410)):
        for k in range(4):
            x = x0 + side * k * 70
            top = 120 - k * 20
            draw.line([(x, top), (x, 200 + k * 55)], fill=(180, 180, 180), width=4 + k)
            draw.ellipse(
                [x - 12 - k * 3, top - 12 - k * 3, x + 12 + k * 3, top + 12 + k * 3],
                fill=(255, 220, 120),
            )
    return _jpeg(image)


def _station_scene() -> bytes:
    image = Image.new("RGB", SIZE, (190, 215, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 300, 640, 420], fill=(140, 120, 90))  # site
    draw.rectangle([150, 150, 450, 300], fill=(200, 200, 195))  # walls going up
    for x in range(150, 460, 50):
        draw.line([(x, 120), (x, 300)], fill=(90, 90, 90), width=3)  # scaffolding
    draw.line([(150, 120), (450, 120)], fill=(90, 90, 90), width=3)
    draw.rectangle([480, 250, 600, 310], fill=(40, 130, 60))  # a truck
    draw.ellipse([490, 300, 520, 330], fill=(30, 30, 30))
    draw.ellipse([560, 300, 590, 330], fill=(30, 30, 30))
    return _jpeg(image)


# --- The tracking stories of 屈子祠镇's projects ---------------------------------------

OVERDUE = "overdue"  # a due date three weeks ago: the daily reminder chases it


@dataclass(frozen=True)
class Story:
    """Dates are (year, month, day) in 2026, moved back to the day the command runs when
    later. Milestones: (title, due date or OVERDUE, progress, completed on or None);
    reports: (date, progress, spent in 10,000 yuan, note); photos: (drawing, caption,
    taken on); inspections: (kind, date, finding, report, how many of the group's three
    deputies took part, None for all)."""

    milestones: list[tuple]
    reports: list[tuple]
    photos: list[tuple]
    inspections: list[tuple]


STORIES = {
    "名山渡口改造项目": Story(
        milestones=[
            ("码头基础施工", (2026, 4, 30), 100, (2026, 4, 25)),
            ("候船亭建设", (2026, 7, 31), 100, (2026, 7, 10)),
            ("进出道路硬化", (2026, 10, 31), 100, (2026, 9, 20)),
        ],
        reports=[
            ((2026, 3, 20), 15, "10", "码头基础开工，当地群众主动投工投劳。"),
            ((2026, 6, 15), 60, "70", "码头主体完工，候船亭开始建设。"),
            ((2026, 9, 20), 100, "118", "全部完工，比原定期限提前一个多月。"),
        ],
        photos=[
            (_ferry_scene, "改造后的名山渡口码头", (2026, 9, 20)),
            (_pavilion_scene, "新建候船亭", (2026, 7, 10)),
        ],
        inspections=[
            (
                Inspection.Kind.MID_YEAR,
                (2026, 7, 8),
                Inspection.Finding.ON_TRACK,
                "代表小组察看码头和候船亭施工，质量良好，群众投工投劳积极，进度快于计划。",
                None,
            ),
        ],
    ),
    "集镇及屈子祠村主干道路灯安装": Story(
        milestones=[
            ("线路及灯杆基础", (2026, 6, 30), 100, (2026, 6, 28)),
            ("灯具安装", (2026, 9, 30), 100, (2026, 9, 25)),
            ("调试验收", (2026, 12, 20), 0, None),
        ],
        reports=[
            ((2026, 5, 10), 30, "15", "完成线路铺设和灯杆基础。"),
            ((2026, 8, 20), 75, "42", "集镇段路灯安装完毕，屈子祠村段正在安装。"),
        ],
        photos=[(_lights_scene, "集镇主干道新装路灯", (2026, 8, 20))],
        inspections=[
            (
                Inspection.Kind.MID_YEAR,
                (2026, 7, 15),
                Inspection.Finding.ON_TRACK,
                "线路铺设完成，灯杆基础符合设计要求。",
                None,
            ),
            (
                Inspection.Kind.SPOT,
                (2026, 8, 7),
                Inspection.Finding.CONCERNS,
                "代表“现场挑刺”：三处路灯间距过大，弯道照明不足，已要求施工方调整。",
                2,
            ),
        ],
    ),
    "垃圾压缩站建设": Story(
        milestones=[
            ("选址及用地手续", (2026, 4, 30), 100, (2026, 4, 12)),
            ("土建施工", OVERDUE, 70, None),
            ("设备安装调试", (2026, 12, 25), 0, None),
        ],
        reports=[
            ((2026, 4, 15), 10, "8", "完成选址和用地手续。"),
            ((2026, 8, 30), 35, "30", "土建施工中，压缩设备招标延迟。"),
        ],
        photos=[(_station_scene, "垃圾压缩站土建施工", (2026, 8, 30))],
        inspections=[
            (
                Inspection.Kind.MID_YEAR,
                (2026, 7, 20),
                Inspection.Finding.CONCERNS,
                "土建进度滞后于计划，压缩设备尚未完成招标，建议镇政府倒排工期。",
                None,
            ),
        ],
    ),
}
