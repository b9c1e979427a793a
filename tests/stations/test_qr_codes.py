"""QR codes decode (with a real decoder, zxing-cpp) back to the page's absolute URL."""

import io

import pytest
import zxingcpp
from django.urls import reverse
from PIL import Image

from tests.factories import DeputyFactory, ScheduleFactory, StationFactory


def _decode_png(content: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(content)))
    assert len(results) == 1
    return results[0].text


@pytest.fixture
def station(xidu):
    station = StationFactory(region=xidu, code="HY0421C1", name="西渡镇人大代表中心联络站")
    ScheduleFactory(station=station, rule="monthly", day_of_month=8)
    return station


def test_station_qr_decodes_to_station_page_url(client, station):
    response = client.get(reverse("stations:station_qr", args=[station.code, "png"]))
    assert response["Content-Type"] == "image/png"
    assert _decode_png(response.content) == "http://testserver/stations/HY0421C1/"


def test_deputy_qr_decodes_to_deputy_page_url(client, xidu):
    deputy = DeputyFactory(region=xidu, code="DP12345")
    response = client.get(reverse("stations:deputy_qr", args=[deputy.code, "png"]))
    assert _decode_png(response.content) == "http://testserver/deputies/DP12345/"


def test_site_url_setting_is_what_codes_carry(client, station, settings):
    settings.SITE_URL = "https://lls.hengyang.example"
    response = client.get(reverse("stations:station_qr", args=[station.code, "png"]))
    assert _decode_png(response.content) == "https://lls.hengyang.example/stations/HY0421C1/"


def test_svg_qr_is_served_as_svg(client, station):
    response = client.get(reverse("stations:station_qr", args=[station.code, "svg"]))
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content


def test_poster_is_an_a4_svg_with_name_schedule_and_a_decodable_code(client, station):
    response = client.get(reverse("stations:station_poster", args=[station.code]))
    assert response["Content-Type"].startswith("image/svg+xml")
    svg = response.content.decode()
    assert 'width="210mm" height="297mm"' in svg
    assert station.name in svg
    assert "每月8日" in svg
    # Rasterise the poster's code path and decode it, to prove the printed code works.
    assert _decode_png(_rasterise_qr_path(svg)) == "http://testserver/stations/HY0421C1/"


def _rasterise_qr_path(svg: str) -> bytes:
    import re

    path = re.search(r'd="(M[^"]+)"', svg).group(1)
    cells = [tuple(map(int, m)) for m in re.findall(r"M(\d+) (\d+)h(\d+)", path)]
    size = max(x + w for x, _y, w in cells) + 1
    scale, border = 8, 4
    image = Image.new("L", ((size + 2 * border) * scale,) * 2, 255)
    for x, y, w in cells:
        for dx in range(w):
            for px in range(scale):
                for py in range(scale):
                    image.putpixel(((x + dx + border) * scale + px, (y + border) * scale + py), 0)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_unknown_format_is_404(client, station):
    assert client.get(f"/stations/{station.code}/qr.gif").status_code == 404
