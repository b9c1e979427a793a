"""Load the demonstration data drawn from the Hunan newsletters in shared/seeds/.

Idempotent: every row is keyed by a natural code, so running it again changes nothing
and creates nothing new.
"""

import datetime as dt
import itertools

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from liaison.models import Region, User
from stations import demo_data
from stations.models import (
    Congress,
    Deputy,
    DeputyGroup,
    Membership,
    Placement,
    ReceptionSchedule,
    Station,
)
from stations.services import reception_days_roll

# Published in README.md: demo accounts are for trying the site, never for production.
DEMO_PASSWORD = "Liaison#2026"  # noqa: S105

# username, role, region code, first name (shown in the admin), superuser
DEMO_ACCOUNTS = [
    ("admin", "", None, "系统管理员", True),
    ("hunan_clerk", "office", "430000000000", "省人大代表工委", False),
    ("hengyang_clerk", "office", "430400000000", "衡阳市人大联工委", False),
    ("hengyangxian_clerk", "office", "430421000000", "衡阳县人大代表工委", False),
    ("xidu_clerk", "office", "430421100000", "西渡镇人大", False),
    ("hengnan_clerk", "office", "430422000000", "衡南县人大代表工委", False),
    ("dept_handler", "department", None, "衡阳县交通运输局", False),
    ("deputy_demo", "deputy", None, "", False),
]


class Command(BaseCommand):
    help = "Load demonstration regions, congresses, stations, deputies and accounts."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (the demo accounts have a published password).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates accounts with a published password; it runs only with "
                "DEBUG=1 (make run sets it) or with --force."
            )
        with transaction.atomic():
            self._regions()
            congresses = self._congresses()
            stations = self._stations()
            deputies = self._deputies(congresses, stations)
            self._groups(congresses, deputies)
            self._accounts(deputies)
        today = timezone.localdate()
        days = 0
        for station in Station.objects.filter(schedules__isnull=False).distinct():
            days += reception_days_roll(station=station, start=today, end=today + dt.timedelta(60))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data: {Region.objects.count()} regions, {Congress.objects.count()} "
                f"congresses, {Station.objects.count()} stations, {Deputy.objects.count()} "
                f"deputies, {days} new reception days. Demo password: {DEMO_PASSWORD}"
            )
        )

    def _regions(self) -> None:
        # REGIONS is sorted by code, so every parent is saved before its children.
        for code, name, _level in demo_data.REGIONS:
            region = Region.objects.filter(code=code).first()
            if region is None:
                Region(code=code, name=name).save()
            elif region.name != name:
                region.name = name
                region.save(update_fields=["name"])

    def _congresses(self) -> list[Congress]:
        congresses = []
        for item in demo_data.CONGRESSES:
            congress, _ = Congress.objects.update_or_create(
                level=item["level"],
                region_id=item["region"],
                term=item["term"],
                defaults={"name": item["name"]},
            )
            congresses.append(congress)
        return congresses

    def _stations(self) -> list[Station]:
        stations = []
        for item in demo_data.STATIONS:
            haves = item["six_haves"]
            station, _ = Station.objects.update_or_create(
                code=item["code"],
                defaults={
                    "name": item["name"],
                    "tier": item["tier"],
                    "kind": item["kind"],
                    "region_id": item["region"],
                    "address": item["address"],
                    "latitude": item["lat"],
                    "longitude": item["lng"],
                    "opening_notes": item["opening_notes"],
                    **{f"has_{key}": bool(value) for key, value in haves.items()},
                },
            )
            self._schedule(station, item["schedule"])
            stations.append(station)
        return stations

    def _schedule(self, station: Station, data: dict) -> None:
        rule = data["rule"]
        fields = {
            "rule": "monthly" if rule == "odd_months" else rule,
            "day_of_month": data.get("day"),
            "months": "odd" if rule == "odd_months" else "all",
            "weekday": data.get("weekday"),
            "dates": data.get("dates", []),
            "notice_days": data.get("notice_days", 3),
            "deputies_per_day": data.get("deputies_per_day", 2),
        }
        if data.get("start"):
            fields["start_time"] = dt.time.fromisoformat(data["start"])
        if data.get("end"):
            fields["end_time"] = dt.time.fromisoformat(data["end"])
        schedule = ReceptionSchedule.objects.filter(station=station).order_by("pk").first()
        if schedule is None:
            ReceptionSchedule.objects.create(station=station, **fields)
            return
        changed = [name for name, value in fields.items() if getattr(schedule, name) != value]
        for name in changed:
            setattr(schedule, name, fields[name])
        if changed:
            schedule.save(update_fields=changed)

    def _deputies(
        self, congresses: list[Congress], stations: list[Station]
    ) -> dict[int, list[Deputy]]:
        """Deputies of every congress, each placed in a station near home (就近编入).

        A deputy's home is the region of a station inside the congress's area, taken in
        turn, so placement by proximity is true by construction. The first deputies of
        each county congress also sit in their township's congress: one person, two
        levels, as is common.
        """
        names = iter(demo_data.deputy_names(demo_data.DEPUTY_TOTAL))
        occupations = itertools.cycle(demo_data.OCCUPATIONS)
        township_congress = {c.region_id: c for c in congresses if c.level == "township"}
        by_congress: dict[int, list[Deputy]] = {}
        number = 0
        for congress in congresses:
            prefix = congress.region.prefix if congress.region_id else ""
            near = [s for s in stations if s.region_id.startswith(prefix)] or stations
            members = []
            for index in range(demo_data.DEPUTY_COUNTS[congress.level]):
                number += 1
                name, gender = next(names)
                station = near[(index * 7 + number) % len(near)]
                deputy, _ = Deputy.objects.update_or_create(
                    code=f"DP{number:05d}",
                    defaults={
                        "name": name,
                        "gender": gender,
                        "region_id": station.region_id,
                        "occupation": next(occupations),
                        "phone": f"139{number:08d}",
                    },
                )
                Membership.objects.get_or_create(
                    deputy=deputy,
                    congress=congress,
                    defaults={"constituency": station.region.name if station.region_id else ""},
                )
                if congress.level == "county" and index < 2:
                    township = township_congress.get(station.region_id[:9] + "000")
                    if township:
                        Membership.objects.get_or_create(deputy=deputy, congress=township)
                Placement.objects.get_or_create(
                    deputy=deputy, station=station, defaults={"since": dt.date(2022, 1, 1)}
                )
                members.append(deputy)
            by_congress[congress.pk] = members
        return by_congress

    def _groups(self, congresses: list[Congress], deputies: dict[int, list[Deputy]]) -> None:
        region_names = dict(Region.objects.values_list("code", "name"))
        for congress in congresses:
            members = deputies[congress.pk]
            if not members or congress.region_id is None:
                continue
            code = congress.region_id
            name = demo_data.deputy_group_name(
                congress.level,
                city=demo_data.short_name(region_names.get(code[:4] + "0" * 8, "")),
                county=region_names.get(code[:6] + "0" * 6, ""),
                township=region_names.get(members[0].region_id[:9] + "000", ""),
                n=1,
            )
            group, _ = DeputyGroup.objects.update_or_create(
                region_id=code,
                name=name,
                defaults={
                    "kind": DeputyGroup.Kind.AREA,
                    "congress": congress,
                    "leader": members[0],
                },
            )
            group.members.add(*members)
            if congress.level == "city":
                for index, title in enumerate(demo_data.PROFESSIONAL_GROUPS[:3]):
                    professional, _ = DeputyGroup.objects.update_or_create(
                        region_id=code,
                        name=title,
                        defaults={"kind": DeputyGroup.Kind.PROFESSIONAL, "congress": congress},
                    )
                    professional.members.add(*members[index::3])

    def _accounts(self, deputies: dict[int, list[Deputy]]) -> None:
        for username, role, region_code, first_name, superuser in DEMO_ACCOUNTS:
            user = User.objects.filter(username=username).first()
            if user is not None and user.role == role and user.region_id == region_code:
                # Existing accounts keep whatever password their owner has set since.
                if role == "deputy":
                    self._link_deputy(user)
                continue
            user = user or User(username=username)
            user.role = role
            user.region_id = region_code
            user.first_name = first_name
            user.is_superuser = superuser
            user.is_staff = superuser or role == "office"
            user.set_password(DEMO_PASSWORD)
            user.save()
            if role == "deputy":
                self._link_deputy(user)

    def _link_deputy(self, user: User) -> None:
        deputy = (
            Deputy.objects.filter(memberships__congress__region_id="430421000000")
            .order_by("code")
            .first()
        )
        if deputy and deputy.user_id != user.pk:
            Deputy.objects.filter(user=user).exclude(pk=deputy.pk).update(user=None)
            deputy.user = user
            deputy.save(update_fields=["user"])
            user.first_name = deputy.name
            user.save(update_fields=["first_name"])
