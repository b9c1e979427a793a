"""The little world the hostile-input tests run in, and the form pages they try.

A station in Xidu township (衡阳县西渡镇) with a category and the county's transport
bureau (Dan handles its items), Dora the deputy placed there and seated in the county
congress, a cycle collecting project proposals. Each page fixture is a :class:`Page`:
who opens it, a valid submission, the rows that must not change when a value is
refused, and where an accepted value is shown again.
"""

import datetime as dt
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from liaison.models import Notification, OutboxMessage
from stations.models import PointEntry
from suggestions import services
from suggestions.models import Assignment, Case, DeputySuggestion, FollowUp, Reply, Suggestion
from tests.factories import (
    CongressFactory,
    DeputyFactory,
    StationFactory,
    make_category,
    make_cycle,
    make_department,
    make_rule,
    place,
    seat,
)
from votes.models import Inspection, Phase, Project, Proposal


@dataclass
class Page:
    """A form page: who opens it, a valid submission, and what must not change."""

    client: Client
    url: str
    data: dict
    rows: Callable[[], tuple]
    forms: tuple[str, ...] = ("form",)  # context keys of the forms whose fields are tried
    required: set[str] = field(default_factory=set)  # required by the service
    limits: dict[str, int] = field(default_factory=dict)  # lengths the service enforces
    codes: set[str] = field(default_factory=set)  # text fields that are not free text
    lookup: bool = False  # a search: no row is written, a miss is a non-field error
    unseen: set[str] = field(default_factory=set)  # stored, but not on the pages in shown
    shown: Callable[[], list] = list  # after an accepted post: the responses showing it
    stored: Callable[[], str] = str  # after an accepted post: the text of the new rows

    def post(self, **changes):
        data = self.data | changes
        if "submission_key" in data:
            data["submission_key"] = secrets.token_urlsafe(24)
        return self.client.post(self.url, data)


def rows_of(*models) -> Callable[[], tuple]:
    return lambda: (*(m.objects.count() for m in models), *_side_effects())


def _side_effects() -> tuple:
    return OutboxMessage.objects.count(), Notification.objects.count()


# --- The world ----------------------------------------------------------------------------


@pytest.fixture
def station(xidu):
    return StationFactory(code="XD001", name="西渡镇人大代表联络站", region=xidu)


@pytest.fixture
def roads(db):
    return make_category("roads", "道路交通")


@pytest.fixture
def bureau(hengyang_county, department_user, roads):
    department = make_department("衡阳县交通运输局", hengyang_county, users=[department_user])
    make_rule(hengyang_county, department, category=roads, days=10)
    return department


@pytest.fixture
def congress(hengyang_county):
    return CongressFactory(region=hengyang_county, level="county", name="衡阳县人民代表大会")


@pytest.fixture
def dora(xidu, station, congress, deputy_user):
    deputy = DeputyFactory(code="DORA01", name="刘代表", region=xidu, user=deputy_user)
    place(deputy, station)
    seat(deputy, congress)
    return deputy


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client_(admin_user) -> Client:
    return signed_in(admin_user)


def opinion(station, roads, **overrides) -> Suggestion:
    fields = {
        "channel": "web",
        "station": station,
        "category": roads,
        "title": "村口道路坑洼",
        "content": "西渡镇梅花村村口道路坑洼积水，雨天无法通行。",
        "name": "张三",
        "phone": "13800138000",
        "consent": True,
    }
    return services.suggestion_submit(**(fields | overrides))


def newest(model):
    return model.objects.order_by("-pk").first()


def texts(model, *names) -> str:
    """The text fields of the newest row of ``model``, for "stored as typed"."""
    row = newest(model)
    return "\n".join(str(getattr(row, name)) for name in names) if row else ""


@pytest.fixture
def public_submit(client, station, roads, admin_client_) -> Page:
    def shown():
        item = newest(Suggestion)
        return [
            client.post(
                reverse("suggestions:track"), {"code": item.tracking_code, "last4": "8000"}
            ),
            admin_client_.get(reverse("admin:suggestions_suggestion_change", args=[item.pk])),
            admin_client_.get(reverse("admin:suggestions_suggestion_changelist")),
        ]

    return Page(
        client=client,
        url=reverse("suggestions:submit_station", args=[station.code]),
        data={
            "category": "roads",
            "title": "村口道路坑洼",
            "content": "西渡镇梅花村村口道路坑洼积水，雨天无法通行，请尽快修复。",
            "name": "张三",
            "phone": "13800138000",
            "consent": "on",
            "submission_key": "",
        },
        rows=rows_of(Suggestion),
        required={"category", "title", "content", "phone"},
        limits={"content": 2000},
        codes={"phone"},
        unseen={"name"},  # personal data: shown masked
        shown=shown,
        stored=lambda: texts(Suggestion, "title", "content", "name"),
    )


@pytest.fixture
def public_track(client, station, roads) -> Page:
    item = opinion(station, roads)
    return Page(
        client=client,
        url=reverse("suggestions:track"),
        data={"code": item.tracking_code, "last4": "8000"},
        rows=rows_of(Suggestion),
        codes={"code", "last4"},
        lookup=True,
    )


@pytest.fixture
def public_rate(client, station, roads, bureau, department_user, admin_client_) -> Page:
    item = opinion(station, roads)
    services.case_route(case_id=item.pk)
    services.case_reply(
        case=item, department=bureau, author=department_user, public_text="已安排修复。"
    )
    return Page(
        client=client,
        url=reverse("suggestions:rate", args=[services.rating_token(item)]),
        data={"rating": FollowUp.Rating.SATISFIED, "comment": "修得很快"},
        rows=rows_of(FollowUp),
        required={"rating"},
        shown=lambda: [
            admin_client_.get(reverse("admin:suggestions_suggestion_change", args=[item.pk]))
        ],
        limits={"comment": 500},
        stored=lambda: texts(FollowUp, "comment"),
    )


@pytest.fixture
def collecting(congress):
    return make_cycle(congress, year=2030, phase=Phase.COLLECTING, candidates=0)


@pytest.fixture
def public_propose(client, collecting, admin_client_) -> Page:
    def shown():
        item = newest(Proposal)
        return [
            admin_client_.get(reverse("admin:votes_proposal_change", args=[item.pk])),
            admin_client_.get(reverse("admin:votes_proposal_changelist")),
        ]

    return Page(
        client=client,
        url=reverse("votes:propose", args=[collecting.pk]),
        data={
            "title": "河堤路灯",
            "content": "河堤路段夜间无照明，建议安装路灯。",
            "location": "西渡镇",
        },
        rows=rows_of(Proposal),
        required={"title", "content"},
        limits={"content": 2000},
        shown=shown,
        stored=lambda: texts(Proposal, "title", "content", "location"),
    )


@pytest.fixture
def login(client, deputy_user) -> Page:
    return Page(
        client=client,
        url=reverse("login"),
        data={"username": deputy_user.username, "password": "correct horse battery"},
        rows=rows_of(Suggestion),
        lookup=True,
    )


@pytest.fixture
def deputy_suggestion_new(dora, deputy_user, congress, roads) -> Page:
    client = signed_in(deputy_user)

    def shown():
        item = newest(DeputySuggestion)
        # A draft is the deputy's own: the office sees it once it is submitted.
        return [client.get(reverse("suggestions:deputy_suggestion", args=[item.pk]))]

    return Page(
        client=client,
        url=reverse("suggestions:deputy_suggestion_new"),
        data={
            "congress": congress.pk,
            "title": "关于修复黄高公路的建议",
            "content": "黄高公路路面破损严重，建议列入今年养护计划。",
            "category": roads.pk,
            "timing": DeputySuggestion.Timing.INTERIM,
        },
        rows=rows_of(DeputySuggestion, Case),
        required={"title", "content"},
        shown=shown,
        stored=lambda: texts(DeputySuggestion, "title", "content"),
    )


@pytest.fixture
def deputy_suggestion_edit(dora, deputy_user, congress) -> Page:
    from suggestions import deputy_suggestions

    draft = deputy_suggestions.deputy_suggestion_draft(
        user=deputy_user, congress=congress, title="关于路灯的建议", content="建议安装路灯。"
    )
    client = signed_in(deputy_user)
    url = reverse("suggestions:deputy_suggestion", args=[draft.pk])
    return Page(
        client=client,
        url=url,
        data={
            "action": "edit",
            "title": "关于路灯的建议（修改）",
            "content": "建议安装太阳能路灯。",
        },
        forms=("forms.edit",),
        rows=lambda: (*rows_of(DeputySuggestion)(), texts(DeputySuggestion, "title", "content")),
        required={"title", "content"},
        shown=lambda: [client.get(url)],
        stored=lambda: texts(DeputySuggestion, "title", "content"),
    )


@pytest.fixture
def deputy_reception_new(dora, deputy_user, station, roads, admin_client_) -> Page:
    from stations.models import Reception
    from suggestions.models import ReceptionMatter

    client = signed_in(deputy_user)

    def shown():
        item = newest(Reception)
        return [
            client.get(reverse("suggestions:reception", args=[item.pk])),
            admin_client_.get(reverse("admin:stations_reception_change", args=[item.pk])),
        ]

    return Page(
        client=client,
        url=reverse("suggestions:reception_new"),
        data={
            "station": station.pk,
            "date": f"{timezone.localdate():%Y-%m-%d}",
            "deputies": [dora.pk],
            "visitors": "12",
            "summary": "与镇政府联合接待",
            "submission_key": "",
            "matters-TOTAL_FORMS": "1",
            "matters-INITIAL_FORMS": "0",
            "matters-MIN_NUM_FORMS": "0",
            "matters-MAX_NUM_FORMS": "50",
            "matters-0-name": "李四",
            "matters-0-phone": "13900139000",
            "matters-0-content": "村口路灯不亮，晚上出行不便。",
            "matters-0-category": roads.pk,
            "matters-0-handling": "answered_on_spot",
            "matters-0-answer": "已当场答复：下周修复。",
        },
        forms=("form", "formset.forms.0"),
        rows=rows_of(Reception, ReceptionMatter, Suggestion),
        required={"station", "date", "matters-0-content", "matters-0-answer"},
        codes={"matters-0-phone"},
        unseen={"matters-0-name"},  # personal data: shown masked
        shown=shown,
        stored=lambda: "\n".join(
            [texts(Reception, "summary"), texts(ReceptionMatter, "name", "content", "answer")]
        ),
    )


@pytest.fixture
def addressed(station, roads, dora):
    return opinion(station, roads, deputy=dora)


@pytest.fixture
def deputy_decision(addressed, deputy_user, client) -> Page:
    from suggestions.models import Event

    deputy_client = signed_in(deputy_user)
    url = reverse("suggestions:deputy_item", args=[addressed.pk])
    return Page(
        client=deputy_client,
        url=url,
        data={"decision": "on_spot", "text": "已当面答复，下周修复。"},
        rows=lambda: (
            *rows_of(Event, Reply)(),
            Suggestion.objects.get(pk=addressed.pk).status,
        ),
        shown=lambda: [
            deputy_client.get(url),
            client.post(
                reverse("suggestions:track"), {"code": addressed.tracking_code, "last4": "8000"}
            ),
        ],
        stored=lambda: "\n".join([texts(Reply, "public_text"), texts(Event, "note")]),
    )


@pytest.fixture
def deputy_points_claim(dora, deputy_user) -> Page:
    client = signed_in(deputy_user)
    url = reverse("stations:my_points")
    return Page(
        client=client,
        url=url,
        data={
            "occurred_on": f"{timezone.localdate() - dt.timedelta(days=3):%Y-%m-%d}",
            "description": "参加县人大常委会农村公路视察",
        },
        rows=rows_of(PointEntry),
        limits={"description": 200},
        shown=lambda: [client.get(url)],
        stored=lambda: texts(PointEntry, "description"),
    )


@pytest.fixture
def deputy_propose(dora, deputy_user, collecting, admin_client_) -> Page:
    def shown():
        item = newest(Proposal)
        return [admin_client_.get(reverse("admin:votes_proposal_change", args=[item.pk]))]

    return Page(
        client=signed_in(deputy_user),
        shown=shown,
        url=reverse("votes:deputy_propose", args=[collecting.pk]),
        data={
            "title": "村级文化广场",
            "content": "建设村级文化广场，方便群众开展文体活动。",
            "location": "西渡镇",
            "estimated_investment": "120.50",
        },
        rows=rows_of(Proposal),
        required={"title", "content"},
        limits={"content": 2000},
        stored=lambda: texts(Proposal, "title", "content", "location"),
    )


@pytest.fixture
def deputy_inspection(dora, deputy_user, congress, client) -> Page:
    from stations.models import DeputyGroup

    cycle = make_cycle(congress, year=timezone.localdate().year, phase=Phase.IMPLEMENTING)
    candidate = cycle.candidates.get(number=1)
    group = DeputyGroup.objects.create(
        name="监督小组", region=congress.region, congress=congress, leader=dora
    )
    group.members.set([dora])
    project = Project.objects.create(
        candidate=candidate, budget=candidate.investment, supervising_group=group
    )
    return Page(
        client=signed_in(deputy_user),
        url=reverse("votes:inspect", args=[project.pk]),
        data={
            "kind": Inspection.Kind.choices[0][0],
            "inspected_on": f"{timezone.localdate():%Y-%m-%d}",
            "finding": Inspection.Finding.choices[0][0],
            "report": "现场查看了施工进度，质量良好。",
            "deputies": [dora.pk],
        },
        rows=rows_of(Inspection),
        required={"report"},
        limits={"report": 2000},
        shown=lambda: [client.get(reverse("votes:project", args=[project.pk]))],
        stored=lambda: texts(Inspection, "report"),
    )


@pytest.fixture
def routed(station, roads, bureau):
    item = opinion(station, roads)
    services.case_route(case_id=item.pk)
    return item


def _department_page(routed, department_user, admin_client_, action: str, data: dict) -> Page:
    handler = signed_in(department_user)
    url = reverse("suggestions:work_item", args=[routed.pk])
    return Page(
        client=handler,
        url=url,
        data={"action": action, **data},
        forms=(f"{action}_form",),
        rows=lambda: (*rows_of(Reply)(), Case.objects.get(pk=routed.pk).status),
        shown=lambda: [
            handler.get(url),
            admin_client_.get(reverse("admin:suggestions_suggestion_change", args=[routed.pk])),
        ],
        stored=lambda: texts(Reply, "public_text", "internal_note"),
    )


@pytest.fixture
def department_reply(routed, department_user, admin_client_) -> Page:
    data = {"public_text": "已安排施工队本月修复。", "internal_note": "预算已批"}
    return _department_page(routed, department_user, admin_client_, "reply", data)


@pytest.fixture
def department_return(routed, department_user, admin_client_) -> Page:
    data = {"reason": "应由镇政府处理"}
    page = _department_page(routed, department_user, admin_client_, "return", data)
    page.stored = lambda: texts(Assignment, "return_reason")
    # Once returned, the item is no longer the handler's: the office reads the reason.
    page.shown = lambda: [
        admin_client_.get(reverse("admin:suggestions_suggestion_change", args=[routed.pk]))
    ]
    return page


def at_once(post, times: int = 2) -> list:
    """``post()`` from ``times`` threads released together; each thread its own
    connection, as two requests of a double click on two server workers."""
    start = threading.Barrier(times)
    answers = []

    def run():
        try:
            start.wait()
            answers.append(post().status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers
