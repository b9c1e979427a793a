"""The admin index's dashboard: the figures of the user's region (``liaison.stats``)
as tiles, Chart.js charts and a table under each chart.

An inclusion tag rather than a change to ``AdminSite.index``: the admin index template
calls it with the request, so the dashboard works with whatever admin site class
renders the index. The chart data goes to the page as a ``json_script`` payload read by
``static/liaison/dashboard.js``: no inline script, so a strict CSP can forbid them.
"""

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from liaison import reports, stats
from liaison.models import Region

register = template.Library()

# Bars beyond this many per chart are unreadable; the table under it lists them all.
CHART_BARS = 15
YEARS_BACK = 4
TOP_DEPUTIES = 10


def period_choices(today) -> list[tuple[str, str]]:
    return [
        ("month", _("This month")),
        ("year", _("This year")),
        *(
            (str(year), str(year))
            for year in range(today.year - 1, today.year - 1 - YEARS_BACK, -1)
        ),
    ]


def period_from(value: str, today) -> tuple[str, stats.Period]:
    """The period a picker value names; this year for anything else."""
    if value == "month":
        return value, stats.Period.of(today.year, today.month)
    if value.isdigit() and today.year - YEARS_BACK <= int(value) < today.year:
        return value, stats.Period.of(int(value))
    return "year", stats.Period.of(today.year)


def chart_data(figures: stats.Figures) -> dict:
    """What dashboard.js draws: labels and series, already translated."""
    stations = figures.stations.rows[:CHART_BARS]
    return {
        "series": {
            "received": _("Received"),
            "closed": _("Closed"),
            "overdue": _("Overdue now"),
            "receptions": _("Receptions"),
            "cycles": _("Ballot cycles"),
            "projects": _("Livelihood projects"),
        },
        "months": {
            "labels": [row.label for row in figures.months],
            "received": [row.counts.received for row in figures.months],
            "closed": [row.counts.closed for row in figures.months],
        },
        "categories": {
            "labels": [row.label for row in figures.categories[:CHART_BARS]],
            "received": [row.counts.received for row in figures.categories[:CHART_BARS]],
            "closed": [row.counts.closed for row in figures.categories[:CHART_BARS]],
        },
        "regions": {
            "labels": [row.label for row in figures.child_regions[:CHART_BARS]],
            "received": [row.counts.received for row in figures.child_regions[:CHART_BARS]],
            "closed": [row.counts.closed for row in figures.child_regions[:CHART_BARS]],
            "overdue": [row.overdue for row in figures.child_regions[:CHART_BARS]],
        },
        "stations": {
            "labels": [row.name for row in stations],
            "receptions": [row.receptions for row in stations],
        },
        "phases": {
            "labels": [label for _phase, label, _n in figures.ballots.by_phase],
            "counts": [n for _phase, _label, n in figures.ballots.by_phase],
        },
        "projects": {
            "labels": [label for _status, label, _n in figures.ballots.by_status],
            "counts": [n for _status, _label, n in figures.ballots.by_status],
        },
        "headline": {figure.key: figure.value for figure in reports.headline(figures)},
    }


@register.inclusion_tag("admin/liaison/dashboard.html", takes_context=True)
def liaison_dashboard(context):
    """The dashboard for ``request.user``, or nothing for a user who may not read it.

    ``?region=`` picks a region inside the user's jurisdiction (anything else is
    ignored: the index never reveals whether another region exists) and ``?period=``
    this month, this year or an earlier year.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or not stats.may_read(user):
        return {"show": False}
    today = timezone.localdate()
    try:
        region = stats.region_for(user, request.GET.get("region", ""))
    except Region.DoesNotExist:
        region = stats.home_region(user)
    period_value, period = period_from(request.GET.get("period", ""), today)
    figures = stats.figures(region, period, today=today)
    by_key = {figure.key: figure for figure in reports.headline(figures)}
    code = region.code if region else ""
    report_query = {"region": code, "year": period.year}
    overdue_query = {"overdue": "yes"} | ({"region": code} if code else {})
    return {
        "show": True,
        "figures": figures,
        "tiles": [
            by_key[key]
            for key in (
                "received",
                "closed_rate",
                "on_time_rate",
                "satisfaction_rate",
                "overdue_now",
                "ds_accepted",
                "receptions",
                "deputies_with_activity",
            )
        ],
        "headline": list(by_key.values()),
        "tables": {table.key: table for table in reports.tables(figures)},
        "top_deputies": figures.deputies.rows[:TOP_DEPUTIES],
        "chart_data": chart_data(figures),
        "region_choices": stats.region_picker(user, region),
        "region_value": code,
        "period_choices": period_choices(today),
        "period_value": period_value,
        "overdue_url": reverse("admin:suggestions_suggestion_changelist")
        + "?"
        + urlencode(overdue_query),
        "report_url": reverse("liaison_report"),
        "annual_query": urlencode(report_query),
        "monthly_query": urlencode(
            report_query
            | {"month": period.month or (today.month if period.year == today.year else 12)}
        ),
        "period_param": period_value,
    }
