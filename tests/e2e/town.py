"""The place the journeys happen: Xidu township (衡阳县西渡镇) with its centre station,
two deputies of the Hengyang county congress placed there (Dora, who has the
``deputy_user`` account, and Wang), the county's transport and water bureaus with rules
routing roads and water to them, and a category no rule routes (the office triages it).
"""

import datetime as dt
import io
from dataclasses import dataclass

import pytest
from PIL import Image, ImageDraw

from liaison.models import User
from stations import services as station_services
from stations.models import Congress, Deputy, Station
from suggestions.models import Category, Department
from tests.factories import (
    CongressFactory,
    DeputyFactory,
    ScheduleFactory,
    StationFactory,
    make_category,
    make_department,
    make_rule,
    make_user,
    place,
    seat,
)


@dataclass
class Town:
    station: Station
    congress: Congress
    dora: Deputy
    wang: Deputy
    roads: Category
    water: Category
    environment: Category
    transport: Department
    water_bureau: Department
    erin: User


@pytest.fixture
def town(xidu, hengyang_county, deputy_user, department_user) -> Town:
    station = StationFactory(
        code="XD001",
        name="西渡镇人大代表联络站",
        region=xidu,
        tier=Station.Tier.CENTRE,
        address="衡阳县西渡镇人民路18号",
        opening_notes="每月8日上午接待选民，其余工作日可到站留言。",
    )
    ScheduleFactory(station=station, day_of_month=8, start_time=dt.time(9), end_time=dt.time(12))
    congress = CongressFactory(region=hengyang_county, level="county", name="衡阳县人民代表大会")
    deputy_user.first_name = "刘晓梅"
    deputy_user.save(update_fields=["first_name"])
    dora = DeputyFactory(code="DORA01", name="刘晓梅", region=xidu, user=deputy_user)
    wang = DeputyFactory(
        code="WANG01",
        name="王建国",
        region=xidu,
        occupation="农业合作社理事长",
        user=make_user("wang", role="deputy", first_name="王建国"),
    )
    for deputy in (dora, wang):
        seat(deputy, congress)
        place(deputy, station)
    station_services.reception_days_roll(station=station)

    roads = make_category("roads", "道路交通")
    water = make_category("water", "饮水与水利")
    environment = make_category("environment", "生态环境")
    department_user.first_name = "周丹"
    department_user.save(update_fields=["first_name"])
    transport = make_department(
        "衡阳县交通运输局", hengyang_county, users=[department_user], supervisor_phone="13900001111"
    )
    erin = make_user("erin", role="department", first_name="陈艳")
    water_bureau = make_department("衡阳县水利局", hengyang_county, users=[erin])
    make_rule(hengyang_county, transport, category=roads, days=10)
    make_rule(hengyang_county, water_bureau, category=water, days=10)
    return Town(
        station=station,
        congress=congress,
        dora=dora,
        wang=wang,
        roads=roads,
        water=water,
        environment=environment,
        transport=transport,
        water_bureau=water_bureau,
        erin=erin,
    )


def photo_file(tmp_path, name: str = "pothole.jpg"):
    """A photo as a phone's camera would send it: a JPEG of a few hundred KB."""
    image = Image.new("RGB", (1200, 900), (120, 120, 110))
    draw = ImageDraw.Draw(image)
    draw.ellipse((380, 420, 820, 700), fill=(70, 60, 50))
    draw.rectangle((0, 0, 1200, 300), fill=(150, 190, 230))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    path = tmp_path / name
    path.write_bytes(buffer.getvalue())
    return path
