"""Chinese working days: statutory holidays and make-up working days (调休).

Time limits for handling suggestions count working days. The source is the
``chinesecalendar`` package (the State Council's yearly holiday notices), overridden by
the staff-edited ``WorkdayOverride`` table, which also covers years the package does not
know yet. A day in neither falls back to Monday to Friday, and that fallback is logged
so the office knows to enter the new year's notice.
"""

import datetime as dt
import logging
from functools import lru_cache

import chinese_calendar

from liaison.models import WorkdayOverride
from liaison.refcache import RefCache

logger = logging.getLogger(__name__)


class Calendar:
    """Working-day arithmetic over a date range, with the overrides read in one query."""

    def __init__(self, overrides: dict[dt.date, bool] | None = None):
        self.overrides = overrides if overrides is not None else {}
        # Answers already worked out: the deadline sweep asks about the same few weeks
        # of days for every open assignment, and the package's lookup is not cheap.
        self._known: dict[dt.date, bool] = {}
        self._between: dict[tuple[dt.date, dt.date], int] = {}

    @classmethod
    def for_range(cls, start: dt.date, end: dt.date) -> "Calendar":
        # Kept per process (the overrides change once a year, when the State Council's
        # notice is entered): every routing asks for the same range on the same day.
        return cls(_overrides.get((start, end)))

    def is_workday(self, day: dt.date) -> bool:
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._is_workday(day)
        return known

    def _is_workday(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            _warn_unknown_year(day.year)
            return day.weekday() < 5

    def add_workdays(self, start: dt.date, days: int) -> dt.date:
        """The date ``days`` working days after ``start`` (``start`` itself not counted)."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = start
        while days:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                days -= 1
        return day

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        count = self._between.get((start, end))
        if count is None:
            count, day = 0, start
            while day < end:
                day += dt.timedelta(days=1)
                count += self.is_workday(day)
            self._between[(start, end)] = count
        return count


def _overrides_uncached(span: tuple[dt.date, dt.date]) -> dict[dt.date, bool]:
    rows = WorkdayOverride.objects.filter(date__range=span).values_list("date", "is_workday")
    return dict(rows)


_overrides = RefCache("workday-overrides", _overrides_uncached, watch=[WorkdayOverride])


@lru_cache(maxsize=16)
def _warn_unknown_year(year: int) -> None:
    logger.warning(
        "No holiday data for %s: counting Monday to Friday. Enter the State Council's "
        "holiday notice for %s as working-day overrides.",
        year,
        year,
    )


def _span(days: int) -> dt.timedelta:
    # Enough calendar days to hold `days` working days across Spring Festival and
    # National Day (each up to 9 days off in a row) with room to spare.
    return dt.timedelta(days=days * 2 + 30)


def add_workdays(start: dt.date, days: int) -> dt.date:
    return Calendar.for_range(start, start + _span(days)).add_workdays(start, days)


def is_workday(day: dt.date) -> bool:
    return Calendar.for_range(day, day).is_workday(day)


def workdays_between(start: dt.date, end: dt.date) -> int:
    return Calendar.for_range(start, end).workdays_between(start, end)


def known_years() -> range:
    """The years the calendar package has holiday data for."""
    years = [year for year in range(2004, 2100) if _package_knows(year)]
    return range(years[0], years[-1] + 1) if years else range(0)


def _package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
        return True
    except NotImplementedError:
        return False
