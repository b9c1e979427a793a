"""Test data: regions by code, and factories for the people and places of Liaison."""

import factory

from liaison import regions
from liaison.models import Region, User
from stations.models import Congress, Deputy, Membership, Placement, ReceptionSchedule, Station


def make_region(code: str, name: str | None = None) -> Region:
    """The region with this code, creating it and any missing ancestors."""
    parent_code = regions.parent_code_of(code)
    if parent_code:
        make_region(parent_code)
    region, _created = Region.objects.get_or_create(
        code=code, defaults={"name": name or f"区域{code}"}
    )
    if name and region.name != name:
        region.name = name
        region.save(update_fields=["name"])
    return region


def make_user(username: str, *, role: str = "", region: Region | None = None, **extra) -> User:
    user = User(username=username, role=role, region=region, **extra)
    user.set_password("correct horse battery")
    user.save()
    return user


class CongressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Congress

    level = "county"
    name = factory.LazyAttribute(lambda o: f"{o.region.name}人民代表大会")
    term = "第十八届"


class DeputyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deputy

    code = factory.Sequence(lambda n: f"D{n:06d}")
    name = factory.Sequence(lambda n: f"代表{n}")
    gender = "F"
    occupation = "村党支部书记"
    phone = factory.Sequence(lambda n: f"1380000{n:04d}")


class StationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Station

    code = factory.Sequence(lambda n: f"ST{n:05d}")
    name = factory.Sequence(lambda n: f"测试人大代表联络站{n}")
    address = "人民路1号"


class ScheduleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReceptionSchedule

    rule = "monthly"
    day_of_month = 8


def place(deputy: Deputy, station: Station) -> Placement:
    return Placement.objects.create(deputy=deputy, station=station)


def seat(deputy: Deputy, congress: Congress) -> Membership:
    return Membership.objects.create(deputy=deputy, congress=congress)


# --- Suggestions ----------------------------------------------------------------------

from suggestions.models import Category, Department, RoutingRule  # noqa: E402


def make_category(code: str = "roads", name: str = "道路交通") -> Category:
    return Category.objects.get_or_create(code=code, defaults={"name": name})[0]


def make_department(
    name: str, region: Region, *, users=(), supervisor_phone: str = "", **extra
) -> Department:
    department = Department.objects.create(
        name=name, region=region, supervisor_phone=supervisor_phone, **extra
    )
    department.users.set(users)
    return department


def make_rule(
    region: Region, department: Department, *, category: Category | None = None, days: int = 15
) -> RoutingRule:
    return RoutingRule.objects.create(
        region=region, department=department, category=category, time_limit_days=days
    )


def make_rule_for_points(region: Region, kind: str, points: int, **extra):
    """A points rule in force since 2000 for ``region`` (performance points)."""
    import datetime as dt

    from stations.models import PointRule

    return PointRule.objects.create(
        region=region, kind=kind, points=points, valid_from=dt.date(2000, 1, 1), **extra
    )


# --- Votes ----------------------------------------------------------------------------


def make_cycle(congress: Congress, *, places: int = 3, candidates: int = 4, **extra):
    """A ballot cycle of ``congress`` for 2027 with ``candidates`` candidates, at the
    candidates-published phase (ready to open voting)."""
    import datetime as dt
    from decimal import Decimal

    from votes.models import BallotCycle, Candidate, Phase

    extra.setdefault("phase", Phase.CANDIDATES)
    cycle = BallotCycle.objects.create(
        congress=congress,
        year=extra.pop("year", 2027),
        title=extra.pop("title", f"{congress.name}2027年民生实事项目票决"),
        places=places,
        **extra,
    )
    for number in range(1, candidates + 1):
        Candidate.objects.create(
            cycle=cycle,
            number=number,
            title=f"候选项目{number}",
            description=f"第{number}个候选项目的说明。",
            investment=Decimal("100.00") * number,
            responsible_unit="县交通运输局",
            planned_completion=dt.date(2027, 12, 31),
        )
    return cycle


def make_voters(congress: Congress, count: int, *, prefix: str = "voter") -> list[Deputy]:
    """``count`` active deputies of ``congress``, each with a deputy account."""
    deputies = []
    for index in range(count):
        user = make_user(f"{prefix}{index:03d}", role="deputy")
        deputy = DeputyFactory(region=congress.region, user=user)
        seat(deputy, congress)
        deputies.append(deputy)
    return deputies
