"""Changelists that stay fast with millions of rows: the machinery for big model admins.

Django's changelist counts the whole filtered table for its paginator, asks the
database for the distinct years, months or days of the date drill-down, and runs one
query per filter for the filter's choices. At a province's scale (a million opinions,
a hundred thousand deputies) each of those reads the table or a large part of it.

``ScaledChangeListMixin`` (for a ``ScopedAdmin``) replaces them:

- the count is exact up to ``LIAISON_CHANGELIST_EXACT_COUNT_LIMIT`` rows and above it
  the planner's estimate, shown as "about N"; on PostgreSQL it rides along with the
  page's rows in the same query (``CappedCountPaginator``);
- the choices of every filter that reads a table (``PrefetchedChoicesFilter``) and the
  first year of the date drill-down come in one query for the whole page;
- the date drill-down's years, months and days come from the calendar, not the data.
"""

import calendar
import datetime as dt
from math import ceil

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import IS_FACETS_VAR, IS_POPUP_VAR
from django.contrib.admin.templatetags.admin_list import pagination
from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import CharField, F, IntegerField, Q, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, ExtractYear
from django.template.loader import select_template
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from liaison import regions, scoping
from liaison.models import Region

# The database function (suggestions migration 0005) that returns the planner's row
# estimate for a query without running it.
ESTIMATE_FUNCTION = "liaison_count_estimate"
# The annotation that carries the count on the page's rows.
TOTAL = "changelist_total_"
# The columns every prefetched choice row has: the filter's value, its label, its order.
CHOICE_COLUMNS = ("lk_key", "lk_label", "lk_order")
# The key of the date drill-down's first year among the prefetched choice sources.
FIRST_YEAR = "first-year"


def exact_count_limit() -> int:
    return int(getattr(settings, "LIAISON_CHANGELIST_EXACT_COUNT_LIMIT", 10_000))


def round_estimate(number: int) -> int:
    """Two significant digits: an estimate is not shown with false precision."""
    if number < 100:
        return number
    scale = 10 ** (len(str(number)) - 2)
    return round(number / scale) * scale


class CappedCountPaginator(Paginator):
    """A paginator that never counts a whole big table.

    It counts at most ``cap + 1`` rows (``SELECT count(*) FROM (… LIMIT cap + 1)``); when
    there are more, the count is PostgreSQL's planner estimate for the query (at least
    ``cap + 1``) and ``approximate`` is true. Page links then stop after the counted rows:
    deeper pages would make the database read every row it skips, and at that size
    people narrow the list with filters, search and the date drill-down instead.

    On other databases (SQLite in development) the count is exact, as Django's.
    """

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page, **kwargs)
        self.cap = exact_count_limit()

    @property
    def _estimates(self) -> bool:
        db = getattr(self.object_list, "db", None)
        return db is not None and connections[db].vendor == "postgresql"

    def _count_sql(self) -> tuple[str, list] | None:
        """One statement giving the capped count, or the estimate above the cap; None
        when the query cannot match anything."""
        queryset = self.object_list
        if queryset.query.is_empty():
            return None
        connection = connections[queryset.db]
        rows = queryset.order_by().values("pk")
        # Newest first, on the primary key's index: open work is recent, so a filter
        # for it finds its cap of rows at once, where an unordered LIMIT lets the
        # planner start at the oldest rows and read most of the table to get there.
        capped = rows.order_by("-pk")[: self.cap + 1]
        try:
            capped_sql, capped_params = capped.query.get_compiler(queryset.db).as_sql()
            full_sql, full_params = rows.query.get_compiler(queryset.db).as_sql()
        except EmptyResultSet:
            return None
        # The estimate's function plans the query from its text: parameters inlined by
        # the driver's own quoting, never by string formatting.
        literal = connection.ops.compose_sql(full_sql, full_params)
        # Only the compiler's own SQL is spliced in; every value stays a parameter.
        sql = (
            f"SELECT CASE WHEN capped.n > %s THEN GREATEST({ESTIMATE_FUNCTION}(%s), %s) "  # noqa: S608
            f"ELSE capped.n END FROM (SELECT COUNT(*) AS n FROM ({capped_sql}) AS capped_rows) "
            "AS capped"
        )
        return sql, [self.cap, literal, self.cap + 1, *capped_params]

    def _set_count(self, count: int) -> None:
        self.__dict__["count"] = count
        self.__dict__.pop("num_pages", None)

    @cached_property
    def count(self) -> int:
        if not self._estimates:
            return super().count
        statement = self._count_sql()
        if statement is None:
            return 0
        with connections[self.object_list.db].cursor() as cursor:
            cursor.execute(*statement)
            return int(cursor.fetchone()[0])

    @property
    def approximate(self) -> bool:
        """Whether the count is the planner's estimate: only above the cap, and only
        where there is a planner to ask."""
        return self._estimates and self.count > self.cap

    @cached_property
    def num_pages(self) -> int:
        if self.approximate:
            return ceil(self.cap / self.per_page)
        return super().num_pages

    @property
    def shown_count(self) -> int:
        """The count as shown: an estimate with two significant digits."""
        return round_estimate(self.count) if self.approximate else self.count

    @property
    def count_is_lower_bound(self) -> bool:
        """Over the cap, with an estimate that does not say more: "more than <cap>"."""
        return self.approximate and self.shown_count <= self.cap

    def page_with_count(self, number: int) -> Page:
        """The page's rows and the count, in one query on PostgreSQL.

        The count is a scalar subquery of the row query (the database computes it once);
        a page past the end is empty rather than an error.
        """
        number = max(int(number), 1)
        bottom = (number - 1) * self.per_page
        queryset = self.object_list
        statement = self._count_sql() if self._estimates else None
        if statement is None:
            # SQLite, or a query that matches nothing: the count on its own.
            self._set_count(self.count)
            return Page(queryset[bottom : bottom + self.per_page], number, self)
        total = RawSQL(*statement, output_field=IntegerField())  # noqa: S611 (see _count_sql)
        rows = queryset.annotate(**{TOTAL: total})
        rows = rows[bottom : bottom + self.per_page]
        fetched = list(rows)  # fills the queryset's cache: the page is read once
        if fetched:
            self._set_count(getattr(fetched[0], TOTAL))
        elif number == 1:
            self._set_count(0)
        else:
            self.__dict__.pop("count", None)
            self._set_count(self.count)
        return Page(rows, number, self)


class ScaledChangeList(ChangeList):
    """Django's changelist with the paginator's capped count and a drill-down by date
    that reads no rows."""

    # The names the search form's template needs (Django passes them from a tag).
    search_var = SEARCH_VAR
    is_popup_var = IS_POPUP_VAR
    is_facets_var = IS_FACETS_VAR

    def __init__(self, request, *args, **kwargs):
        # The drill-down reads the page's prefetched choices, kept on the request.
        self.request = request
        super().__init__(request, *args, **kwargs)

    def get_results(self, request):
        paginator = self.model_admin.get_paginator(request, self.queryset, self.list_per_page)
        result_list = None
        if self.show_all:
            # "Show all" shows at most list_max_show_all rows: one more tells whether
            # there are more, without counting.
            everything = self.queryset._clone()[: self.list_max_show_all + 1]
            if len(everything) <= self.list_max_show_all:
                result_list = everything
                paginator._set_count(len(everything))
        if result_list is None:
            if not isinstance(paginator, CappedCountPaginator):
                raise TypeError("ScaledChangeList needs the CappedCountPaginator.")
            result_list = paginator.page_with_count(self.page_num).object_list

        self.result_count = paginator.count
        self.result_count_is_approximate = paginator.approximate
        self.shown_result_count = paginator.shown_count
        self.show_full_result_count = False
        self.full_result_count = None
        self.can_show_all = not paginator.approximate and (
            self.result_count <= self.list_max_show_all
        )
        self.multi_page = self.result_count > self.list_per_page
        self.show_admin_actions = True
        self.result_list = result_list
        self.paginator = paginator

    @property
    def approximate_count_text(self) -> str:
        """The count when it is not exact: "about 49,000" (the planner's estimate), or
        "more than 10,000" when the estimate is no bigger than what was counted."""
        if self.paginator.count_is_lower_bound:
            return gettext("more than %(count)s") % {"count": self._number(self.paginator.cap)}
        return gettext("about %(count)s") % {"count": self._number(self.shown_result_count)}

    @property
    def approximate_results_text(self) -> str:
        return gettext("%(count)s results") % {"count": self.approximate_count_text}

    @staticmethod
    def _number(number: int) -> str:
        return formats.number_format(number, force_grouping=True)

    @cached_property
    def pagination_links(self) -> dict:
        """Django's pagination context, around a page that may lie past the end."""
        page_num = self.page_num
        self.page_num = min(max(page_num, 1), max(self.paginator.num_pages, 1))
        try:
            links = pagination(self)
            return links | {"page_range": list(links["page_range"])}
        finally:
            self.page_num = page_num

    # -- The date drill-down, from the calendar

    def _date_params(self) -> tuple[int | None, int | None, int | None]:
        field = self.date_hierarchy
        values = []
        for part in ("year", "month", "day"):
            raw = self.params.get(f"{field}__{part}")
            values.append(int(raw) if raw and str(raw).isdigit() else None)
        return tuple(values)

    def _date_link(self, year=None, month=None, day=None) -> str:
        field = self.date_hierarchy
        chosen = {f"{field}__year": year, f"{field}__month": month, f"{field}__day": day}
        return self.get_query_string(
            {key: value for key, value in chosen.items() if value}, [f"{field}__"]
        )

    @cached_property
    def date_drilldown(self) -> dict:
        """The links of the date drill-down, like Django's, computed without reading rows:
        the years from the first item's (one index probe, fetched with the filters'
        choices) to this one, the months of a year, the days of a month."""
        year, month, day = self._date_params()
        today = timezone.localdate()
        if year and month and day:
            try:
                chosen = dt.date(year, month, day)
            except ValueError:
                return {"show": False}
            return {
                "show": True,
                "back": {
                    "link": self._date_link(year, month),
                    "title": capfirst(formats.date_format(chosen, "YEAR_MONTH_FORMAT")),
                },
                "choices": [{"title": capfirst(formats.date_format(chosen, "MONTH_DAY_FORMAT"))}],
            }
        if year and month:
            if not 1 <= month <= 12:
                return {"show": False}
            last = calendar.monthrange(year, month)[1]
            if (year, month) == (today.year, today.month):
                last = today.day
            return {
                "show": True,
                "back": {"link": self._date_link(year), "title": str(year)},
                "choices": [
                    {
                        "link": self._date_link(year, month, d),
                        "title": capfirst(
                            formats.date_format(dt.date(year, month, d), "MONTH_DAY_FORMAT")
                        ),
                    }
                    for d in range(1, last + 1)
                ],
            }
        if year:
            last = today.month if year == today.year else 12
            return {
                "show": True,
                "back": {"link": self._date_link(), "title": gettext("All dates")},
                "choices": [
                    {
                        "link": self._date_link(year, m),
                        "title": capfirst(
                            formats.date_format(dt.date(year, m, 1), "YEAR_MONTH_FORMAT")
                        ),
                    }
                    for m in range(1, last + 1)
                ],
            }
        rows = self.model_admin.prefetched_choices(self.request, FIRST_YEAR, None)
        first = int(rows[0][0]) if rows and str(rows[0][0]).isdigit() else None
        if first is None:
            return {"show": False}
        return {
            "show": True,
            "choices": [
                {"link": self._date_link(y), "title": str(y)}
                for y in range(min(first, today.year), today.year + 1)
            ],
        }


class PrefetchedChoicesFilter(admin.SimpleListFilter):
    """A list filter whose choices are rows of a table, fetched together with every
    other such filter's (and the date drill-down's first year) in one query per page.

    A subclass gives ``choices_queryset`` (rows annotated with ``lk_key``, ``lk_label``
    and ``lk_order``, or None for no choices) and may reshape the rows in
    ``choices_from_rows``. In an admin without ``ScaledChangeListMixin`` the filter
    runs its own query.
    """

    @classmethod
    def choices_queryset(cls, request, value):
        raise NotImplementedError

    def choices_from_rows(self, request, rows) -> list[tuple[str, str]]:
        return [(key, label) for key, label, _order in rows]

    def lookups(self, request, model_admin):
        if isinstance(model_admin, ScaledChangeListMixin):
            rows = model_admin.prefetched_choices(request, type(self), self.value())
        else:
            queryset = self.choices_queryset(request, self.value())
            rows = [] if queryset is None else list(_choice_rows(queryset))
        return self.choices_from_rows(request, rows)


def _choice_rows(queryset):
    return queryset.order_by("lk_order").values_list(*CHOICE_COLUMNS)


class RegionDrillDownFilter(PrefetchedChoicesFilter):
    """The regions one level below the user's own, then below the chosen one.

    Choosing a region filters by its code prefix on the row's own ``region_id``: an
    index range scan, no join.
    """

    title = _("region")
    parameter_name = "region"

    @staticmethod
    def _top(user) -> str | None:
        return None if scoping.sees_everything(user) else user.region_id

    @staticmethod
    def selected_code(request, value) -> str | None:
        if value and regions.CODE_RE.match(value) and scoping.in_scope(request.user, value):
            return value
        return None

    @classmethod
    def choices_queryset(cls, request, value):
        user = request.user
        top = cls._top(user)
        if top is None and not scoping.sees_everything(user):
            return None
        selected = cls.selected_code(request, value)
        path = []
        if selected:
            # The way down from the user's region to the chosen one, then its children.
            path = [code for code in regions.ancestors_of(selected) if code != top]
            if top:
                path = [code for code in path if code.startswith(regions.prefix_of(top))]
        parent = selected or top
        query = Q(parent_id=parent) if parent else Q(parent__isnull=True)
        if path:
            query |= Q(code__in=path)
        return Region.objects.filter(query).annotate(
            lk_key=F("code"), lk_label=F("name"), lk_order=F("code")
        )

    def choices_from_rows(self, request, rows):
        top = self._top(request.user)
        top_depth = regions.LEVELS.index(regions.level_of(top)) + 1 if top else 0
        return [
            (code, "\u2003" * (regions.LEVELS.index(regions.level_of(code)) - top_depth) + name)
            for code, name, _order in rows
        ]

    def queryset(self, request, queryset):
        selected = self.selected_code(request, self.value())
        if selected is None:
            return queryset
        lookup = scoping.region_lookup(queryset.model)
        return queryset.filter(**{lookup: regions.prefix_of(selected)})


class ScaledChangeListMixin:
    """For a model admin with a big table (put it first among the bases): the capped
    count, the filters' choices in one query, and the date drill-down from the calendar.

    Together they keep a changelist page at a handful of queries whatever the size of
    the table: the session and the user, the choices, and the page with its count.
    """

    paginator = CappedCountPaginator
    scaled_change_list_template = "admin/liaison/scaled_change_list.html"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The template the admin would have used (import-export's, or Django's) stays
        # the frame; ours only replaces the count, the pages and the drill-down.
        self.base_change_list_template = self.change_list_template
        self.change_list_template = self.scaled_change_list_template

    def get_changelist(self, request, **kwargs):
        return ScaledChangeList

    def _base_template(self):
        if self.base_change_list_template:
            return self.base_change_list_template
        opts = self.opts
        return select_template(
            [
                f"admin/{opts.app_label}/{opts.model_name}/change_list.html",
                f"admin/{opts.app_label}/change_list.html",
                "admin/change_list.html",
            ]
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "base_change_list_template": self._base_template(),
            **(extra_context or {}),
        }
        response = super().changelist_view(request, extra_context)
        cl = getattr(response, "context_data", None) and response.context_data.get("cl")
        if cl is not None and getattr(cl, "result_count_is_approximate", False):
            response.context_data["selection_note_all"] = gettext(
                "All (%(total_count)s) selected"
            ) % {"total_count": cl.approximate_count_text}
        return response

    # -- The filters' choices and the drill-down's first year, in one query

    def first_date_queryset(self, request):
        """The row with the earliest drill-down date, its year as ``lk_key``: found by an
        index probe (ORDER BY the date LIMIT 1), not by reading the table."""
        field = self.date_hierarchy
        model = self.model
        earliest = model._default_manager.order_by(field).values("pk")[:1]
        return (
            model._default_manager.filter(pk=Subquery(earliest))
            .order_by()
            .annotate(
                lk_key=Cast(ExtractYear(field), CharField()),
                lk_label=Value("", output_field=CharField()),
                lk_order=Value("", output_field=CharField()),
            )
        )

    def choice_sources(self, request) -> dict:
        """What the page's filters and drill-down need from small tables, by key."""
        sources = {}
        for list_filter in self.get_list_filter(request):
            if isinstance(list_filter, type) and issubclass(list_filter, PrefetchedChoicesFilter):
                queryset = list_filter.choices_queryset(
                    request, request.GET.get(list_filter.parameter_name)
                )
                if queryset is not None:
                    sources[list_filter] = queryset
        field = self.date_hierarchy
        if field and not any(key.startswith(f"{field}__") for key in request.GET):
            sources[FIRST_YEAR] = self.first_date_queryset(request)
        return sources

    def prefetched_choices(self, request, key, value) -> list[tuple]:
        """The rows of one choice source, all sources being fetched on the first call of
        the request with a single UNION ALL query."""
        fetched = request.__dict__.setdefault("_liaison_choice_rows", {})
        if self not in fetched:
            fetched[self] = self._fetch_choices(request)
        return fetched[self].get(key, [])

    def _fetch_choices(self, request) -> dict:
        sources = list(self.choice_sources(request).items())
        if not sources:
            return {}
        parts = [
            queryset.order_by()
            .annotate(lk_src=Value(index, output_field=IntegerField()))
            .values_list("lk_src", *CHOICE_COLUMNS)
            for index, (_key, queryset) in enumerate(sources)
        ]
        query = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        rows = {key: [] for key, _queryset in sources}
        for src, *row in query.order_by("lk_src", "lk_order"):
            rows[sources[src][0]].append(tuple(row))
        return rows
