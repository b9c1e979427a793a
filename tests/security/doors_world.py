"""The world the door walk (``test_every_door.py``) opens doors into.

Everything private lives in 西渡镇 (Xidu township, Hengyang county), so the township
clerk of Xidu sees it and the county clerk of 衡南县 (Hengnan, the neighbouring county)
must not. Dora is the deputy whose pages these are; Olga, a deputy of Hengnan, must not
see them. Dan handles the items of the Xidu township government; Frank, a handler in
Hengnan, must not see them.

Three texts are secrets with known readers (:data:`SECRETS`): the walk checks that no
answer to any other role contains them, whatever its status.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from auditlog.models import LogEntry
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from liaison.models import Job, Notification, OutboxMessage, WorkdayOverride
from stations import points
from stations import services as station_services
from stations.models import (
    DeputyGroup,
    Duty,
    GradeBand,
    Reception,
    ReceptionDay,
)
from suggestions import deputy_suggestions, hotline, privacy
from suggestions import services as suggestion_services
from suggestions.models import (
    CallbackDelivery,
    Event,
    FollowUp,
    Integration,
    PersonalDataAccess,
    PersonalDataRequest,
    ReceptionMatter,
    ResultClass,
    WorkOrder,
)
from tests.factories import (
    CongressFactory,
    DeputyFactory,
    ScheduleFactory,
    StationFactory,
    make_category,
    make_cycle,
    make_department,
    make_region,
    make_rule,
    make_rule_for_points,
    make_user,
    place,
    seat,
)
from votes import services as vote_services
from votes.models import NegativeListItem, Phase, Project, Proposal, Round, RoundResult

# Secret texts and the roles that may read them; everybody else must never get them.
SUGGESTION_SECRET = "门禁-来信正文-7Q2"  # the content of a constituent's opinion
DEPUTY_SECRET = "门禁-代表私事-4K9"  # a deputy's own records: reception, claim, draft
PHONE = "13912340007"  # the constituent's full mobile number
SECRETS = {
    SUGGESTION_SECRET: {"constituent", "handler", "township_clerk", "superuser"},
    DEPUTY_SECRET: {"deputy", "township_clerk", "superuser"},
    PHONE: {"township_clerk", "superuser"},
}
LAST4 = PHONE[-4:]
# Secrets some page does show each of these roles: the walk checks it sees them, so the
# leak check cannot pass only because no page shows a secret at all. (The full phone is
# shown to nobody: it is masked everywhere and revealed only by a POST with a reason.)
SHOWN = {
    "constituent": {SUGGESTION_SECRET},
    "deputy": {DEPUTY_SECRET},
    "handler": {SUGGESTION_SECRET},
    "township_clerk": {SUGGESTION_SECRET, DEPUTY_SECRET},
    "superuser": {SUGGESTION_SECRET, DEPUTY_SECRET},
}


@dataclass
class World:
    users: dict = field(default_factory=dict)  # role -> User (None for the anonymous two)
    tokens: dict = field(default_factory=dict)  # role -> API token key
    admin_objects: dict = field(default_factory=dict)  # "app_label.model" -> the Xidu object
    values: dict = field(default_factory=dict)  # name -> URL value (see doors.py)


def build() -> World:
    world = World()
    today = timezone.localdate()
    hengyang_county = make_region("430421000000", "衡阳县")
    xidu = make_region("430421100000", "西渡镇")
    village = make_region("430421100201", "梅花村")
    hengnan = make_region("430422000000", "衡南县")
    yunji = make_region("430422100000", "云集镇")
    del hengyang_county

    # --- People ---------------------------------------------------------------------------
    root = make_user("root", is_superuser=True, is_staff=True)
    tina = make_user("tina", role="office", region=xidu)
    bob = make_user("bob", role="office", region=hengnan)
    dora_user = make_user("dora", role="deputy")
    olga_user = make_user("olga", role="deputy")
    dan = make_user("dan", role="department")
    frank = make_user("frank", role="department")
    world.users = {
        "anonymous": None,
        "constituent": None,
        "deputy": dora_user,
        "other_deputy": olga_user,
        "handler": dan,
        "other_handler": frank,
        "township_clerk": tina,
        "other_county_clerk": bob,
        "superuser": root,
    }
    world.tokens = {
        role: Token.objects.create(user=user).key for role, user in world.users.items() if user
    }

    # --- Stations, deputies, duty ------------------------------------------------------------
    congress = CongressFactory(region=xidu, level="township", name="西渡镇人民代表大会")
    hengnan_congress = CongressFactory(region=hengnan, level="county", name="衡南县人民代表大会")
    station = StationFactory(code="XD0001", name="西渡镇人大代表联络站", region=xidu)
    schedule = ScheduleFactory(station=station)
    StationFactory(code="YJ0001", name="云集镇人大代表联络站", region=yunji)
    dora = DeputyFactory(code="DORA01", name="刘代表", region=xidu, user=dora_user)
    colleague = DeputyFactory(
        code="COLL01", name="陈代表", region=xidu, user=make_user("carl", role="deputy")
    )
    olga = DeputyFactory(code="OLGA01", name="欧代表", region=yunji, user=olga_user)
    for deputy in (dora, colleague):
        seat(deputy, congress)
    placement = place(dora, station)
    place(colleague, station)
    seat(olga, hengnan_congress)
    day = ReceptionDay.objects.create(
        station=station,
        date=today + dt.timedelta(days=10),
        start_time=dt.time(9),
        end_time=dt.time(11, 30),
        notice_days=2,
    )
    duty = Duty.objects.create(reception_day=day, deputy=dora)
    swap = station_services.duty_swap_request(duty=duty, to_deputy=colleague, by=dora_user)
    group = DeputyGroup.objects.create(
        name="西渡镇代表小组", region=xidu, congress=congress, leader=dora
    )
    group.members.set([dora, colleague])

    # --- Performance points ------------------------------------------------------------------
    point_rule = make_rule_for_points(xidu, "reception_logged", 5)
    grade_band = GradeBand.objects.create(region=xidu, label="优秀", min_score=80)
    claim = points.points_claim(
        deputy=dora,
        description=f"参加调研 {DEPUTY_SECRET}",
        occurred_on=today - dt.timedelta(days=3),
        evidence=SimpleUploadedFile("proof.pdf", b"%PDF-1.4\n% doors\n"),
        by=dora_user,
    )

    # --- Opinions and their handling ---------------------------------------------------------
    roads = make_category("roads", "道路交通")
    government = make_department("西渡镇人民政府", xidu, users=[dan])
    make_department("衡南县交通运输局", hengnan, users=[frank])
    rule = make_rule(xidu, government, category=roads)

    def submit(title: str, **extra):
        fields = {
            "channel": "web",
            "station": station,
            "category": roads,
            "title": title,
            "content": "村口道路坑洼积水，请尽快修复。",
            "name": "张三",
            "phone": PHONE,
            "consent": True,
            "route": False,
        } | extra
        return suggestion_services.suggestion_submit(**fields)

    # The one the constituent follows: assigned to Dan's department, replied, waiting
    # for the rating.
    opinion = submit("村口道路坑洼", content=f"村口道路坑洼积水，请尽快修复。{SUGGESTION_SECRET}")
    assignment = suggestion_services.case_assign(case=opinion, lead=government, actor=tina)
    reply = suggestion_services.case_reply(
        case=opinion, department=government, author=dan, public_text="已安排修复。"
    )
    privacy.personal_data_reveal(user=tina, field="phone", suggestion=opinion, reason="回访")
    # One rated already (a follow-up row), one addressed to Dora, one from the hotline.
    rated = submit("路灯不亮")
    suggestion_services.case_assign(case=rated, lead=government, actor=tina)
    suggestion_services.case_reply(
        case=rated, department=government, author=dan, public_text="已修好。"
    )
    suggestion_services.case_rate(case=rated, rating=FollowUp.Rating.SATISFIED)
    addressed = submit("想请刘代表反映", station=None, deputy=dora, region=xidu)
    integration, _credentials = hotline.integration_create(
        name="衡阳市12345热线", kind=Integration.Kind.HOTLINE, region=xidu
    )
    hotline_item = submit("12345转来的诉求", channel="hotline")
    order = WorkOrder.objects.create(
        integration=integration,
        suggestion=hotline_item,
        external_id="HY12345-DOORS-1",
        content_hash="0" * 64,
    )
    event = Event.objects.filter(case=hotline_item).first()
    callback = CallbackDelivery.objects.create(order=order, event=event, event_kind=event.kind)

    # --- Dora's reception ledger and her formal suggestion -----------------------------------
    reception = Reception.objects.create(
        station=station,
        date=today - dt.timedelta(days=2),
        visitors=3,
        source=Reception.Source.DEPUTY_PHONE,
        summary=f"接待记录 {DEPUTY_SECRET}",
        recorded_by=dora_user,
    )
    reception.deputies.set([dora])
    matter = ReceptionMatter.objects.create(
        reception=reception,
        position=1,
        content="询问低保政策",
        category=roads,
        handling=ReceptionMatter.Handling.ANSWERED_ON_SPOT,
        answer="当场解答。",
    )
    draft = deputy_suggestions.deputy_suggestion_draft(
        user=dora_user,
        congress=congress,
        title="关于改善农村道路的建议",
        content=f"建议加大投入。{DEPUTY_SECRET}",
        category=roads,
    )
    # The office sees a suggestion once it is submitted (a draft is the deputy's own).
    submitted = deputy_suggestions.deputy_suggestion_draft(
        user=dora_user, congress=congress, title="关于建设村级养老服务站的建议", content="建议。"
    )
    deputy_suggestions.deputy_suggestion_submit(suggestion=submitted, user=dora_user)

    # --- Ballots: collecting proposals, voting open, being implemented -----------------------
    collecting = make_cycle(
        congress, places=1, candidates=2, phase=Phase.COLLECTING, year=today.year + 1
    )
    proposal = Proposal.objects.create(
        cycle=collecting, source=Proposal.Source.PUBLIC, title="修建文化广场", content="群众提议。"
    )
    voting = make_cycle(congress, places=1, candidates=2, year=today.year, title="本年票决")
    open_round = vote_services.voting_open(cycle=voting, by=tina)
    implementing = make_cycle(
        congress, places=1, candidates=2, phase=Phase.IMPLEMENTING, year=today.year - 1
    )
    candidate = implementing.candidates.get(number=1)
    counted = Round.objects.create(
        cycle=implementing,
        number=1,
        kind=Round.Kind.SELECTION,
        places=1,
        electorate=2,
        opened_at=timezone.now() - dt.timedelta(days=30),
        closed_at=timezone.now() - dt.timedelta(days=30),
        counted_at=timezone.now() - dt.timedelta(days=30),
        status=Round.Status.COUNTED,
    )
    result = RoundResult.objects.create(round=counted, candidate=candidate, score=2, rank=1)
    project = Project.objects.create(
        candidate=candidate, budget=Decimal("100.00"), supervising_group=group
    )
    negative = NegativeListItem.objects.create(text="楼堂馆所建设", region=xidu)

    # --- The machinery: a job, a holiday, the outbox, notifications, the audit trail ---------
    job = Job.objects.create(kind="export", label="导出台账", created_by=tina, status="succeeded")
    job.result.save("ledger.xlsx", ContentFile(b"PK doors"), save=True)
    holiday = WorkdayOverride.objects.create(date=dt.date(2031, 10, 1), is_workday=False)
    group_of_accounts = Group.objects.create(name="门禁测试组")
    # Sign-in security: a failed attempt, and the two-factor devices of a clerk who is
    # not one of the walk's roles (an enrolled role would first be asked for a code).
    attempt = AccessAttempt.objects.create(
        username="dora",
        ip_address="10.0.0.1",
        user_agent="doors",
        http_accept="*/*",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=1,
    )
    vera = make_user("vera", role="office", region=xidu)
    totp = TOTPDevice.objects.create(user=vera, name="authenticator", confirmed=True)
    backup = StaticDevice.objects.create(user=vera, name="backup", confirmed=True)
    data_request = PersonalDataRequest.objects.create(
        kind=PersonalDataRequest.Kind.EXPORT, user=tina, region=xidu, phone_hmac="0" * 64
    )

    world.admin_objects = {
        "axes.accessattempt": attempt,
        "otp_totp.totpdevice": totp,
        "otp_static.staticdevice": backup,
        "suggestions.personaldatarequest": data_request,
        "auth.group": group_of_accounts,
        "authtoken.tokenproxy": dora_user,  # a token's admin page is keyed by its user
        "liaison.job": job,
        "liaison.region": village,
        "liaison.user": dora_user,
        "liaison.workdayoverride": holiday,
        "liaison.outboxmessage": OutboxMessage.objects.order_by("pk").first(),
        "liaison.notification": Notification.objects.order_by("pk").first(),
        "auditlog.logentry": LogEntry.objects.get_for_object(station).first(),
        "stations.congress": congress,
        "stations.deputy": dora,
        "stations.deputygroup": group,
        "stations.station": station,
        "stations.placement": placement,
        "stations.receptionschedule": schedule,
        "stations.receptionday": day,
        "stations.dutyswap": swap,
        "stations.pointrule": point_rule,
        "stations.gradeband": grade_band,
        "stations.pointentry": claim,
        "stations.reception": reception,
        "suggestions.category": roads,
        "suggestions.department": government,
        "suggestions.routingrule": rule,
        "suggestions.assignment": assignment,
        "suggestions.reply": reply,
        "suggestions.followup": FollowUp.objects.get(case=rated),
        "suggestions.personaldataaccess": PersonalDataAccess.objects.get(case=opinion),
        "suggestions.suggestion": opinion,
        "suggestions.deputysuggestion": submitted,
        "suggestions.resultclass": ResultClass.objects.order_by("pk").first(),
        "suggestions.integration": integration,
        "suggestions.workorder": order,
        "suggestions.callbackdelivery": callback,
        "votes.ballotcycle": voting,
        "votes.roundresult": result,
        "votes.project": project,
        "votes.negativelistitem": negative,
        "votes.proposal": proposal,
    }
    missing = [label for label, obj in world.admin_objects.items() if obj is None]
    assert not missing, f"the world lacks {missing}"
    world.values = {
        "station": station.code,
        "deputy_code": dora.code,
        "deputy_id": dora.pk,
        "duty": duty.pk,
        "swap": swap.pk,
        "year": today.year,
        "claim": claim.pk,
        "cycle_collecting": collecting.pk,
        "cycle_voting": voting.pk,
        "cycle_implementing": implementing.pk,
        "round": open_round.pk,
        "project": project.pk,
        "opinion": opinion.pk,
        "addressed": addressed.pk,
        "draft": draft.pk,
        "reception": reception.pk,
        "matter": matter.pk,
        "tracking_code": opinion.tracking_code,
        "last4": LAST4,
        "rate_token": suggestion_services.rating_token(opinion),
        "forged_token": f"{opinion.pk}-0:forged",
        "fmt": "json",
        "qr_format": "png",
        "job_content_type": ContentType.objects.get_for_model(Job).pk,
        "user_pk": dora_user.pk,
        "job": job.pk,
        "integration": integration.pk,
        "step": "round_close",
        "app_label": "stations",
        "task_group": "opinions",
        "nowhere": "doors-nowhere/",
    }
    return world
