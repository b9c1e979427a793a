"""Public pages: the station finder, station pages (the QR target) and deputy pages."""

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from liaison.models import Region
from stations import qr, selectors
from stations.models import Deputy, Station


@require_safe
def home(request):
    region = None
    region_code = request.GET.get("region", "").strip()
    if region_code:
        region = get_object_or_404(Region, code=region_code)
    query = request.GET.get("q", "").strip()[:50]
    stations = selectors.station_search(region=region, query=query)
    page = None
    if region or query:
        page = Paginator(stations, selectors.FINDER_LIMIT).get_page(request.GET.get("page"))
    context = {
        "region": region,
        "query": query,
        "breadcrumbs": selectors.region_breadcrumbs(region=region) if region else [],
        "children": selectors.region_children_with_counts(region=region),
        "page": page,
    }
    return render(request, "stations/home.html", context)


@require_safe
def station_detail(request, code: str):
    station = selectors.station_for_public_page(code=code)
    return render(
        request,
        "stations/station_detail.html",
        {"station": station, "page_url": qr.absolute_url(request, request.path)},
    )


@require_safe
def deputy_detail(request, code: str):
    deputy = selectors.deputy_for_public_page(code=code)
    return render(
        request,
        "stations/deputy_detail.html",
        {"deputy": deputy, "page_url": qr.absolute_url(request, request.path)},
    )


def _qr_response(request, path: str, fmt: str, filename: str) -> HttpResponse:
    url = qr.absolute_url(request, path)
    if fmt == "png":
        response = HttpResponse(qr.qr_png(url), content_type="image/png")
    else:
        response = HttpResponse(qr.qr_svg(url), content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="{filename}.{fmt}"'
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_safe
def station_qr(request, code: str, fmt: str):
    station = get_object_or_404(Station, code=code, is_active=True)
    path = reverse("stations:station", args=[station.code])
    return _qr_response(request, path, fmt, f"station-{station.code}")


@require_safe
def deputy_qr(request, code: str, fmt: str):
    deputy = get_object_or_404(Deputy, code=code, is_active=True)
    path = reverse("stations:deputy", args=[deputy.code])
    return _qr_response(request, path, fmt, f"deputy-{deputy.code}")


@require_safe
def station_poster(request, code: str):
    """A printable A4 poster: name, QR code, reception schedule, as SVG."""
    station = selectors.station_for_public_page(code=code)
    url = qr.absolute_url(request, reverse("stations:station", args=[station.code]))
    path, modules = qr.qr_path(url)
    size_mm = 120
    response = render(
        request,
        "stations/poster.svg",
        {
            "station": station,
            "url": url,
            "qr_path": path,
            "qr_scale": size_mm / modules,
            "qr_x": (210 - size_mm) / 2,
            "qr_y": 70,
        },
        content_type="image/svg+xml; charset=utf-8",
    )
    response["Content-Disposition"] = f'inline; filename="poster-{station.code}.svg"'
    return response
