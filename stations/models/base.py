"""Congresses, deputies, liaison stations, their reception schedules and duty days."""

import calendar
import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.models import Region


def default_notice_days() -> int:
    """Days ahead a reception day is announced, from LIAISON_RECEPTION_NOTICE_DAYS."""
    return settings.LIAISON_RECEPTION_NOTICE_DAYS


public_code_validator = RegexValidator(
    r"^[A-Z0-9]{4,12}$", _("Use 4 to 12 capital letters or digits.")
)


class Level(models.TextChoices):
    """The five levels of people's congress (Election Law art. 3)."""

    NATIONAL = "national", _("National")
    PROVINCE = "province", _("Provincial")
    CITY = "city", _("City")
    COUNTY = "county", _("County")
    TOWNSHIP = "township", _("Township")


class Congress(models.Model):
    """A people's congress of one region and one term (e.g. 衡阳县第十八届人民代表大会)."""

    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="congresses",
        help_text=_("Empty only for the National People's Congress."),
    )
    name = models.CharField(_("name"), max_length=100)
    term = models.CharField(_("term"), max_length=20, help_text=_("e.g. 第十八届"))
    term_start = models.DateField(_("term starts"), null=True, blank=True)
    term_end = models.DateField(_("term ends"), null=True, blank=True)

    class Meta:
        verbose_name = _("congress")
        verbose_name_plural = _("congresses")
        ordering = ["region_id", "level"]
        constraints = [
            models.UniqueConstraint(fields=["level", "region", "term"], name="congress_unique"),
            models.CheckConstraint(
                condition=models.Q(level="national") | models.Q(region__isnull=False),
                name="congress_region_unless_national",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.term}）"

    @property
    def deputy_title(self) -> str:
        """What a member is called publicly, e.g. 县人大代表."""
        return _("%(level)s people's congress deputy") % {"level": self.get_level_display()}

    @property
    def has_standing_committee(self) -> bool:
        # Townships have no standing committee: the presidium (主席团) acts between
        # sessions (Organic Law of Local People's Congresses).
        return self.level != Level.TOWNSHIP


class Deputy(models.Model):
    """A person who is a deputy to one or more congresses.

    Contact details are for the office only: the public pages never show them.
    """

    class Gender(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    code = models.CharField(
        _("public code"), max_length=12, unique=True, validators=[public_code_validator]
    )
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    region = models.ForeignKey(
        Region,
        verbose_name=_("home region"),
        on_delete=models.PROTECT,
        related_name="deputies",
        help_text=_("Where the deputy lives and was elected; decides which office manages them."),
    )
    occupation = models.CharField(_("occupation and post"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    bio = models.TextField(_("public introduction"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deputy",
    )
    is_active = models.BooleanField(_("active"), default=True)
    congresses = models.ManyToManyField(
        Congress, through="Membership", related_name="deputies", verbose_name=_("congresses")
    )

    class Meta:
        verbose_name = _("deputy")
        verbose_name_plural = _("deputies")
        ordering = ["code"]
        indexes = [models.Index(fields=["name"], name="deputy_name_idx")]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A deputy's seat in one congress: one person can sit at several levels."""

    deputy = models.ForeignKey(
        Deputy, verbose_name=_("deputy"), on_delete=models.CASCADE, related_name="memberships"
    )
    congress = models.ForeignKey(
        Congress, verbose_name=_("congress"), on_delete=models.PROTECT, related_name="memberships"
    )
    constituency = models.CharField(_("constituency"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    region_path = "deputy__region"

    class Meta:
        verbose_name = _("congress membership")
        verbose_name_plural = _("congress memberships")
        constraints = [
            models.UniqueConstraint(fields=["deputy", "congress"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.deputy} · {self.congress}"


class DeputyGroup(models.Model):
    """A deputy group (代表小组) by area, or a professional group (专业小组)."""

    class Kind(models.TextChoices):
        AREA = "area", _("Deputy group")
        PROFESSIONAL = "professional", _("Professional group")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.AREA)
    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="deputy_groups"
    )
    congress = models.ForeignKey(
        Congress,
        verbose_name=_("congress"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="groups",
    )
    leader = models.ForeignKey(
        Deputy,
        verbose_name=_("leader"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_groups",
    )
    members = models.ManyToManyField(
        Deputy, verbose_name=_("members"), related_name="groups", blank=True
    )

    class Meta:
        verbose_name = _("deputy group")
        verbose_name_plural = _("deputy groups")
        ordering = ["region_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="deputy_group_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Station(models.Model):
    """A deputy liaison station (代表联络站), the QR target constituents scan."""

    class Tier(models.TextChoices):
        CENTRE = "centre", _("Centre station")
        STATION = "station", _("Station")
        POINT = "point", _("Liaison point")

    class Kind(models.TextChoices):
        FIXED = "fixed", _("Fixed")
        MOBILE = "mobile", _("Mobile")
        ONLINE = "online", _("Online")

    code = models.CharField(
        _("public code"), max_length=12, unique=True, validators=[public_code_validator]
    )
    name = models.CharField(_("name"), max_length=100)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, default=Tier.STATION)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.FIXED)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="stations"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    opening_notes = models.TextField(_("opening notes"), blank=True)
    # The "六有" standard: organisation, premises, sign, rules, ledger, funding.
    has_organisation = models.BooleanField(_("has an organisation"), default=False)
    has_premises = models.BooleanField(_("has premises"), default=False)
    has_sign = models.BooleanField(_("has a sign"), default=False)
    has_rules = models.BooleanField(_("has rules"), default=False)
    has_ledger = models.BooleanField(_("has a ledger"), default=False)
    has_funding = models.BooleanField(_("has funding"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    deputies = models.ManyToManyField(
        Deputy, through="Placement", related_name="stations", verbose_name=_("deputies")
    )

    SIX_HAVES = (
        "has_organisation",
        "has_premises",
        "has_sign",
        "has_rules",
        "has_ledger",
        "has_funding",
    )

    class Meta:
        verbose_name = _("liaison station")
        verbose_name_plural = _("liaison stations")
        ordering = ["region_id", "code"]
        indexes = [models.Index(fields=["name"], name="station_name_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def six_haves_met(self) -> int:
        return sum(bool(getattr(self, field)) for field in self.SIX_HAVES)


class Placement(models.Model):
    """A deputy placed into a station by proximity (就近编入)."""

    deputy = models.ForeignKey(
        Deputy, verbose_name=_("deputy"), on_delete=models.CASCADE, related_name="placements"
    )
    station = models.ForeignKey(
        Station, verbose_name=_("station"), on_delete=models.CASCADE, related_name="placements"
    )
    since = models.DateField(_("since"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    region_path = "station__region"

    class Meta:
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        constraints = [
            models.UniqueConstraint(fields=["deputy", "station"], name="placement_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.deputy} @ {self.station}"


class ReceptionSchedule(models.Model):
    """When a station receives constituents, as data: monthly, weekly or given dates."""

    class Rule(models.TextChoices):
        MONTHLY = "monthly", _("Monthly on a day")
        WEEKLY = "weekly", _("Weekly on a weekday")
        DATES = "dates", _("On given dates")

    class Months(models.TextChoices):
        ALL = "all", _("Every month")
        ODD = "odd", _("Odd months")
        EVEN = "even", _("Even months")

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    station = models.ForeignKey(
        Station, verbose_name=_("station"), on_delete=models.CASCADE, related_name="schedules"
    )
    rule = models.CharField(_("rule"), max_length=10, choices=Rule.choices)
    day_of_month = models.PositiveSmallIntegerField(
        _("day of month"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("For monthly schedules; a day past the month's end means its last day."),
    )
    months = models.CharField(_("months"), max_length=4, choices=Months.choices, default=Months.ALL)
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), choices=Weekday.choices, null=True, blank=True
    )
    dates = models.JSONField(
        _("dates"), default=list, blank=True, help_text=_("For given dates: a list of YYYY-MM-DD.")
    )
    start_time = models.TimeField(_("starts at"), default=dt.time(9, 0))
    end_time = models.TimeField(_("ends at"), default=dt.time(11, 30))
    deputies_per_day = models.PositiveSmallIntegerField(
        _("deputies on duty per day"), default=2, validators=[MinValueValidator(1)]
    )
    notice_days = models.PositiveSmallIntegerField(
        _("notice days"),
        default=default_notice_days,
        help_text=_("How many days ahead the reception day is announced."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    region_path = "station__region"

    class Meta:
        verbose_name = _("reception schedule")
        verbose_name_plural = _("reception schedules")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(rule="monthly") | models.Q(day_of_month__isnull=False),
                name="schedule_monthly_has_day",
            ),
            models.CheckConstraint(
                condition=~models.Q(rule="weekly") | models.Q(weekday__isnull=False),
                name="schedule_weekly_has_weekday",
            ),
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")),
                name="schedule_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.station} · {self.describe()}"

    def clean(self) -> None:
        errors = {}
        if self.rule == self.Rule.MONTHLY and not self.day_of_month:
            errors["day_of_month"] = _("A monthly schedule needs a day of the month.")
        if self.rule == self.Rule.WEEKLY and self.weekday is None:
            errors["weekday"] = _("A weekly schedule needs a weekday.")
        if self.rule == self.Rule.DATES:
            try:
                self.parsed_dates()
            except (TypeError, ValueError):
                errors["dates"] = _("Give the dates as a list of YYYY-MM-DD.")
            if not self.dates:
                errors["dates"] = _("Give at least one date.")
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            errors["end_time"] = _("The reception must end after it starts.")
        if errors:
            raise ValidationError(errors)

    def parsed_dates(self) -> list[dt.date]:
        return sorted(dt.date.fromisoformat(str(value)) for value in self.dates or [])

    def describe(self) -> str:
        if self.rule == self.Rule.MONTHLY:
            if self.months == self.Months.ALL:
                return _("on day %(day)s of every month") % {"day": self.day_of_month}
            return _("on day %(day)s of %(months)s") % {
                "day": self.day_of_month,
                "months": self.get_months_display(),
            }
        if self.rule == self.Rule.WEEKLY:
            return _("every %(weekday)s") % {"weekday": self.get_weekday_display()}
        dates = "、".join(f"{day.month}/{day.day}" for day in self.parsed_dates()[:6])
        return _("on given dates: %(dates)s") % {"dates": dates}

    def _month_included(self, month: int) -> bool:
        if self.months == self.Months.ODD:
            return month % 2 == 1
        if self.months == self.Months.EVEN:
            return month % 2 == 0
        return True

    def occurrences(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Reception dates from ``start`` to ``end`` inclusive."""
        if end < start:
            return []
        if self.rule == self.Rule.DATES:
            return [day for day in self.parsed_dates() if start <= day <= end]
        if self.rule == self.Rule.WEEKLY:
            first = start + dt.timedelta(days=(self.weekday - start.weekday()) % 7)
            days = []
            while first <= end:
                if self._month_included(first.month):
                    days.append(first)
                first += dt.timedelta(days=7)
            return days
        days = []
        year, month = start.year, start.month
        while dt.date(year, month, 1) <= end:
            if self._month_included(month):
                last = calendar.monthrange(year, month)[1]
                day = dt.date(year, month, min(self.day_of_month, last))
                if start <= day <= end:
                    days.append(day)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return days


class ReceptionDay(models.Model):
    """One occurrence of a station's reception, with the deputies on duty."""

    station = models.ForeignKey(
        Station, verbose_name=_("station"), on_delete=models.CASCADE, related_name="reception_days"
    )
    schedule = models.ForeignKey(
        ReceptionSchedule,
        verbose_name=_("schedule"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="days",
    )
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("starts at"))
    end_time = models.TimeField(_("ends at"))
    notice_days = models.PositiveSmallIntegerField(
        _("notice days"),
        default=default_notice_days,
        help_text=_(
            "The deputies on duty are published this many days ahead; until then the "
            "public page shows the day as “to be announced”."
        ),
    )
    is_cancelled = models.BooleanField(_("cancelled"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    on_duty = models.ManyToManyField(
        Deputy, through="Duty", related_name="reception_days", verbose_name=_("on duty")
    )

    region_path = "station__region"

    class Meta:
        verbose_name = _("reception day")
        verbose_name_plural = _("reception days")
        ordering = ["date", "start_time"]
        constraints = [
            models.UniqueConstraint(fields=["station", "date"], name="reception_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.station} {self.date:%Y-%m-%d}"

    @property
    def notice_date(self) -> dt.date:
        return self.date - dt.timedelta(days=self.notice_days)

    def is_announced(self, today: dt.date | None = None) -> bool:
        """Whether the duty roster of this day is public: its notice date has come."""
        return self.notice_date <= (today or timezone.localdate())


class Duty(models.Model):
    """A deputy on duty on a reception day.

    ``source`` says who put the deputy there: the rotation may deal a rotation duty
    again while the day is not announced; a swap or a staff decision is never moved.
    """

    class Source(models.TextChoices):
        ROTATION = "rotation", _("Rotation")
        SWAP = "swap", _("Swap")
        STAFF = "staff", _("Set by staff")

    reception_day = models.ForeignKey(
        ReceptionDay,
        verbose_name=_("reception day"),
        on_delete=models.CASCADE,
        related_name="duties",
    )
    deputy = models.ForeignKey(
        Deputy, verbose_name=_("deputy"), on_delete=models.CASCADE, related_name="duties"
    )
    source = models.CharField(
        _("source"), max_length=8, choices=Source.choices, default=Source.ROTATION
    )
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    attendance_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attendance recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    attendance_at = models.DateTimeField(_("attendance recorded at"), null=True, blank=True)

    region_path = "reception_day__station__region"

    class Meta:
        verbose_name = _("duty")
        verbose_name_plural = _("duties")
        constraints = [
            models.UniqueConstraint(fields=["reception_day", "deputy"], name="duty_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.deputy} · {self.reception_day}"


class DutySwap(models.Model):
    """A deputy on duty asks a colleague of the same station to take the day (换班)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")

    TRANSITIONS = {
        Status.REQUESTED: {Status.ACCEPTED, Status.DECLINED, Status.CANCELLED},
        Status.ACCEPTED: set(),
        Status.DECLINED: set(),
        Status.CANCELLED: set(),
    }

    duty = models.ForeignKey(
        Duty, verbose_name=_("duty"), on_delete=models.CASCADE, related_name="swaps"
    )
    from_deputy = models.ForeignKey(
        Deputy,
        verbose_name=_("asked by"),
        on_delete=models.CASCADE,
        related_name="swaps_asked",
    )
    to_deputy = models.ForeignKey(
        Deputy,
        verbose_name=_("asked to take the day"),
        on_delete=models.CASCADE,
        related_name="swaps_offered",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    region_path = "duty__reception_day__station__region"

    class Meta:
        verbose_name = _("duty swap")
        verbose_name_plural = _("duty swaps")
        ordering = ["-created_at"]
        constraints = [
            # One open request per duty: a second one waits until the first is decided.
            models.UniqueConstraint(
                fields=["duty"],
                condition=models.Q(status="requested"),
                name="duty_swap_one_open_request",
            ),
            models.CheckConstraint(
                condition=~models.Q(from_deputy=models.F("to_deputy")),
                name="duty_swap_two_deputies",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_deputy} → {self.to_deputy} · {self.duty.reception_day}"

    def transition(self, status: str) -> None:
        """Move to ``status`` or raise ValidationError if that step is not allowed."""
        if status not in self.TRANSITIONS[self.status]:
            raise ValidationError(
                _("This swap request is already %(status)s.")
                % {"status": self.get_status_display()}
            )
        self.status = status
        self.decided_at = timezone.now()
