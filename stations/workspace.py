"""The stations app's panels on the deputy's home page: duties, stations, points."""

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison.workspace import Panel, register_panel
from stations.models import Duty, Placement


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@register_panel
def duties_panel(user, deputy) -> Panel:
    today = timezone.localdate()
    duties = (
        Duty.objects.filter(deputy=deputy, reception_day__date__gte=today)
        .exclude(reception_day__is_cancelled=True)
        .select_related("reception_day", "reception_day__station")
        .order_by("reception_day__date")[:5]
    )
    return Panel(
        title=_("Today and upcoming duties"),
        order=10,
        items=[
            {
                "text": duty.reception_day.station.name,
                "note": f"{duty.reception_day.date:%Y-%m-%d} "
                f"{duty.reception_day.start_time:%H:%M}–{duty.reception_day.end_time:%H:%M}",
                "badge": _("Today") if duty.reception_day.date == today else "",
                "url": reverse("stations:station", args=[duty.reception_day.station.code]),
            }
            for duty in duties
        ],
        empty=_("No duty is scheduled for you."),
        link=_url("stations:my_duties"),
        link_text=_("All my duties"),
    )


@register_panel
def stations_panel(user, deputy) -> Panel:
    placements = (
        Placement.objects.filter(deputy=deputy, is_active=True, station__is_active=True)
        .select_related("station", "station__region")
        .order_by("station__name")
    )
    return Panel(
        title=_("My stations"),
        order=20,
        items=[
            {
                "text": placement.station.name,
                "note": placement.station.region.name,
                "url": reverse("stations:station", args=[placement.station.code]),
            }
            for placement in placements
        ],
        empty=_("You are not placed in a station yet."),
    )


@register_panel
def points_panel(user, deputy) -> Panel:
    from stations import points

    year = timezone.localdate().year
    score = points.deputy_score(deputy=deputy, year=year)
    grade = score.get("grade") or ""
    return Panel(
        title=_("My points"),
        order=60,
        items=[
            {
                "text": _("%(year)s: %(total)s points") % {"year": year, "total": score["total"]},
                "badge": str(grade),
            }
        ],
        link=_url("stations:my_points"),
        link_text=_("My points card"),
    )
