"""Suggestions: categories, departments, routing rules, and the one handling machinery.

A ``Case`` is anything a department must handle within a time limit: a constituent's
opinion (``Suggestion``, this issue) or a deputy's formal suggestion (a later issue).
Both are multi-table children of ``Case``, so assignment, deadline, reply, follow-up and
reopening are written once, against ``Case``, and every kind of item runs through them.
"""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.crypto import (
    EncryptedCharField,
    PhoneIndexField,
    PhoneIndexQuerySet,
    index_update_fields,
    mask_name,
    mask_phone,
)
from liaison.models import Region
from liaison.text import has_markup

# No 0/O, 1/I/L: a code read aloud over the phone or copied by hand stays unambiguous.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_LENGTH = 12
CONTENT_MAX = 2000
PHONE_RE = r"^1[3-9][0-9]{9}$"

phone_validator = RegexValidator(
    PHONE_RE, _("Enter a mainland mobile number: 11 digits starting with 1.")
)


def new_tracking_code() -> str:
    # 31^12 ≈ 7.9e17 codes: guessing one of a million live codes takes ~1e12 tries,
    # and lookups are rate-limited and need the phone's last four digits as well.
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


class Category(models.Model):
    """What an opinion is about (roads, water, schools…): data the office maintains."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=50)
    description = models.CharField(_("description"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """A handling body (承办单位): a township government, a county bureau, a utility."""

    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="departments"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    supervisor_name = models.CharField(_("supervisor"), max_length=50, blank=True)
    supervisor_phone = models.CharField(
        _("supervisor's mobile"), max_length=11, blank=True, validators=[phone_validator]
    )
    supervisor_email = models.EmailField(_("supervisor's e-mail"), blank=True)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handlers"),
        related_name="departments",
        blank=True,
        limit_choices_to={"role": "department"},
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["region_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="department_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """Category × region subtree → department, with the time limit in working days.

    For an item in region R, the rules whose region contains R compete and the most
    specific (longest code prefix) wins; a rule without a category is the fallback for
    its subtree. With no rule, the township office triages by hand.
    """

    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="routing_rules",
        help_text=_("Empty: every category without a more specific rule."),
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="routing_rules",
        help_text=_("The rule covers this region and every region below it."),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="routing_rules",
    )
    time_limit_days = models.PositiveSmallIntegerField(
        _("time limit (working days)"), default=15, validators=[MinValueValidator(1)]
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["region_id", "category__sort_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "region"],
                name="routing_rule_unique",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region} · {self.category or _('all categories')} → {self.department}"


class Case(models.Model):
    """An item under handling, whatever its kind; the common half of every suggestion."""

    class Kind(models.TextChoices):
        CONSTITUENT = "constituent", _("Constituent opinion")
        DEPUTY = "deputy", _("Deputy suggestion")

    class Status(models.TextChoices):
        # A deputy's draft and its submission to the office (deputy suggestions only).
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted to the office")
        RECEIVED = "received", _("Received")
        ASSIGNED = "assigned", _("Assigned")
        REPLIED = "replied", _("Replied")
        REOPENED = "reopened", _("Reopened")
        CLOSED = "closed", _("Closed")
        ANSWERED_ON_SPOT = "answered_on_spot", _("Answered on the spot")
        MERGED = "merged", _("Merged")
        PROMOTED = "promoted", _("Promoted to a deputy suggestion")
        REJECTED = "rejected", _("Rejected")

    class Outcome(models.TextChoices):
        # The year-end sorting of a ledger (年底分类): 已处理 / 转建议 / 无法落实.
        HANDLED = "handled", _("Handled")
        PROMOTED = "promoted", _("Turned into a suggestion")
        NOT_FEASIBLE = "not_feasible", _("Cannot be done")

    OPEN_STATUSES = (Status.RECEIVED, Status.ASSIGNED, Status.REOPENED)
    HANDLING_STATUSES = (Status.ASSIGNED, Status.REOPENED)

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, editable=False)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="cases"
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    title = models.CharField(_("title"), max_length=100)
    content = models.TextField(_("content"), validators=[MaxLengthValidator(CONTENT_MAX)])
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    outcome = models.CharField(
        _("year-end sorting"), max_length=15, choices=Outcome.choices, blank=True
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    satisfaction = models.CharField(_("satisfaction"), max_length=15, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_cases",
    )

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["region", "-received_at"], name="case_region_received_idx"),
            models.Index(fields=["status", "due_date"], name="case_status_due_idx"),
            # The admin list's order (newest first, id breaking ties): items received
            # in the same instant (an import, a hotline batch) would otherwise make
            # PostgreSQL sort the whole tie to show the first page.
            models.Index(fields=["received_at", "id"], name="case_received_id_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="merged") | models.Q(merged_into__isnull=False),
                name="case_merged_has_target",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def transition(self, to: str) -> None:
        """Move to status ``to``, or raise if the status graph does not allow it."""
        if to not in TRANSITIONS.get(self.status, ()):
            raise InvalidTransition(self.status, to)
        self.status = to

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return bool(self.due_date and self.is_open and self.due_date < today)

    @property
    def year_end_sorting(self) -> str:
        """The ledger column: the recorded outcome, else what the status implies."""
        if self.outcome:
            return self.outcome
        if self.status == self.Status.PROMOTED:
            return self.Outcome.PROMOTED
        if self.status == self.Status.REJECTED:
            return self.Outcome.NOT_FEASIBLE
        if self.status in (self.Status.CLOSED, self.Status.ANSWERED_ON_SPOT, self.Status.REPLIED):
            return self.Outcome.HANDLED
        return ""


class InvalidTransition(ValidationError):
    def __init__(self, current: str, to: str):
        super().__init__(
            _("An item that is “%(current)s” cannot become “%(to)s”.")
            % {"current": Case.Status(current).label, "to": Case.Status(to).label},
            code="invalid_transition",
        )


_S = Case.Status
# Which status may follow which. Terminal: closed, merged, promoted, rejected.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    _S.DRAFT: (_S.SUBMITTED,),
    # The office accepts (and numbers) a submitted suggestion, or returns it to draft.
    _S.SUBMITTED: (_S.RECEIVED, _S.DRAFT),
    _S.RECEIVED: (_S.ASSIGNED, _S.ANSWERED_ON_SPOT, _S.MERGED, _S.PROMOTED, _S.REJECTED),
    _S.ASSIGNED: (
        _S.REPLIED,
        _S.RECEIVED,
        _S.ANSWERED_ON_SPOT,
        _S.MERGED,
        _S.PROMOTED,
        _S.REJECTED,
    ),
    _S.REPLIED: (_S.CLOSED, _S.REOPENED),
    _S.REOPENED: (
        _S.REPLIED,
        _S.RECEIVED,
        _S.ASSIGNED,
        _S.ANSWERED_ON_SPOT,
        _S.MERGED,
        _S.REJECTED,
    ),
    _S.ANSWERED_ON_SPOT: (_S.CLOSED, _S.REOPENED),
    _S.CLOSED: (),
    _S.MERGED: (),
    _S.PROMOTED: (),
    _S.REJECTED: (),
}


class Suggestion(Case):
    """A constituent's opinion or suggestion (群众意见建议), from any channel."""

    class Channel(models.TextChoices):
        WEB = "web", _("Web form")
        API = "api", _("API")
        RECEPTION = "reception", _("Reception day")
        HOTLINE = "hotline", _("12345 hotline")
        OPEN311 = "open311", _("Open311 client")

    tracking_code = models.CharField(
        _("tracking code"), max_length=16, unique=True, default=new_tracking_code, editable=False
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    station = models.ForeignKey(
        "stations.Station",
        verbose_name=_("station"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="suggestions",
    )
    deputy = models.ForeignKey(
        "stations.Deputy",
        verbose_name=_("addressed to deputy"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="addressed_suggestions",
    )
    # Encrypted at rest (liaison.crypto); found by phone only through phone_hmac.
    name = EncryptedCharField(_("name"), max_length=50, blank=True)
    phone = EncryptedCharField(_("mobile"), max_length=11, blank=True, validators=[phone_validator])
    phone_hmac = PhoneIndexField(source="phone")
    do_not_contact = models.BooleanField(_("do not contact me"), default=False)
    consent_at = models.DateTimeField(_("notice accepted"), null=True, blank=True)
    consent_version = models.CharField(_("notice version"), max_length=20, blank=True)
    submission_key = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="Makes a double-clicked form or a retried API call one submission.",
    )
    deputy_decision = models.CharField(_("deputy's decision"), max_length=20, blank=True)
    anonymised_at = models.DateTimeField(_("personal data removed"), null=True, blank=True)

    objects = PhoneIndexQuerySet.as_manager()

    class Meta:
        verbose_name = _("constituent suggestion")
        verbose_name_plural = _("constituent suggestions")
        indexes = [models.Index(fields=["phone_hmac"], name="suggestion_phone_hmac_idx")]

    def save(self, *args, **kwargs):
        self.kind = Case.Kind.CONSTITUENT
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = index_update_fields(Suggestion, kwargs["update_fields"])
        super().save(*args, **kwargs)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


def photo_path(instance, filename: str) -> str:
    # A random name: the constituent's file name can carry personal data.
    return (
        f"suggestions/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.{filename.rsplit('.', 1)[-1]}"
    )


class Photo(models.Model):
    """A photo attached to a suggestion, re-encoded without its EXIF (GPS) data."""

    suggestion = models.ForeignKey(
        Suggestion, verbose_name=_("suggestion"), on_delete=models.CASCADE, related_name="photos"
    )
    image = models.ImageField(_("image"), upload_to=photo_path)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    region_path = "suggestion__region"

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return self.image.name


class Assignment(models.Model):
    """A department's share of a case: the lead (主办) or a co-handler (协办)."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead")
        CO = "co", _("Co-handler")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Handling")
        REPLIED = "replied", _("Replied")
        RETURNED = "returned", _("Returned")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="assignments"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    role = models.CharField(_("role"), max_length=4, choices=Role.choices, default=Role.LEAD)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    time_limit_days = models.PositiveSmallIntegerField(
        _("time limit (working days)"), null=True, blank=True
    )
    # Deputy suggestions count calendar months (Deputies Law art. 51), not working days.
    time_limit_months = models.PositiveSmallIntegerField(
        _("time limit (months)"), null=True, blank=True
    )
    assigned_at = models.DateTimeField(_("assigned"), default=timezone.now)
    due_date = models.DateField(_("due date"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    return_reason = models.TextField(_("reason for return"), blank=True)

    region_path = "case__region"

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["department", "status", "due_date"], name="assignment_work_idx"),
            # The deadline sweep reads open assignments by due date across departments.
            models.Index(
                fields=["due_date"],
                condition=models.Q(status="active"),
                name="assignment_open_due_idx",
            ),
        ]
        constraints = [
            # One lead department at a time: re-assigning withdraws the old lead first.
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(role="lead", status="active"),
                name="assignment_one_active_lead",
            ),
            models.UniqueConstraint(
                fields=["case", "department"],
                condition=models.Q(status="active"),
                name="assignment_one_active_per_department",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.department} · {self.get_role_display()}"


class Reply(models.Model):
    """A department's answer: public text for the constituent, an internal note for staff."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="replies"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replies",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    public_text = models.TextField(_("reply"), validators=[MaxLengthValidator(CONTENT_MAX)])
    internal_note = models.TextField(_("internal note"), blank=True)
    addressee = models.ForeignKey(
        "stations.Deputy",
        verbose_name=_("to deputy"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("A deputy suggestion gets one reply per signing deputy."),
    )
    result_class = models.CharField(_("result class"), max_length=10, blank=True)
    # The due date in force when the reply was written: on-time rates are counted
    # against it, since re-handling later moves the item's due date.
    due_date = models.DateField(_("due date then"), null=True, blank=True)
    created_at = models.DateTimeField(_("replied"), default=timezone.now)

    region_path = "case__region"

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.public_text[:40]


class FollowUp(models.Model):
    """The constituent's rating of a reply (回访): by the SMS link, by phone, or none."""

    class Rating(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfied")
        BASICALLY = "basically", _("Basically satisfied")
        UNSATISFIED = "unsatisfied", _("Unsatisfied")
        NOT_RATED = "not_rated", _("Not rated")

    class Method(models.TextChoices):
        LINK = "link", _("Rating link")
        PHONE = "phone", _("Telephone follow-up")
        TIMEOUT = "timeout", _("No answer in time")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    round = models.PositiveSmallIntegerField(_("round"))
    rating = models.CharField(_("rating"), max_length=12, choices=Rating.choices)
    method = models.CharField(_("method"), max_length=8, choices=Method.choices)
    comment = models.TextField(_("comment"), blank=True, validators=[MaxLengthValidator(500)])
    rater = models.ForeignKey(
        "stations.Deputy",
        verbose_name=_("rated by deputy"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Each signing deputy rates a deputy suggestion's reply."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("rated"), default=timezone.now)

    region_path = "case__region"

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["created_at", "id"]
        constraints = [
            # One rating per reply round: a second click on the link changes nothing.
            models.UniqueConstraint(
                fields=["case", "round", "rater"],
                name="follow_up_once_per_round",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return self.get_rating_display()


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The timeline is append-only.")

    def delete(self):
        raise TypeError("The timeline is append-only.")


class Event(models.Model):
    """One line of a case's timeline. Append-only: events are never changed or removed."""

    class Kind(models.TextChoices):
        RECEIVED = "received", _("Received")
        ROUTED = "routed", _("Assigned by routing rule")
        AWAITING_TRIAGE = "awaiting_triage", _("Waiting for the office to assign")
        AWAITING_DEPUTY = "awaiting_deputy", _("Waiting for the deputy")
        ASSIGNED = "assigned", _("Assigned")
        REASSIGNED = "reassigned", _("Re-assigned")
        RETURNED = "returned", _("Returned by the department")
        SENT_BACK = "sent_back", _("Returned to the deputy for changes")
        REMINDED = "reminded", _("Reminder sent")
        OVERDUE = "overdue", _("Overdue notice sent")
        REPLIED = "replied", _("Replied")
        ANSWERED_ON_SPOT = "answered_on_spot", _("Answered on the spot")
        RATED = "rated", _("Rated")
        REOPENED = "reopened", _("Reopened")
        CLOSED = "closed", _("Closed")
        MERGED = "merged", _("Merged")
        PROMOTED = "promoted", _("Marked for a deputy suggestion")
        PASSED_ON = "passed_on", _("Passed on by the deputy")
        REJECTED = "rejected", _("Rejected")
        NOTE = "note", _("Note")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # What the constituent may read on the tracking page; staff also see the note.
    public_text = models.CharField(_("public text"), max_length=300, blank=True)
    note = models.TextField(_("internal note"), blank=True)
    is_public = models.BooleanField(_("shown to the constituent"), default=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    objects = EventQuerySet.as_manager()
    region_path = "case__region"

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="event_case_idx")]

    def __str__(self) -> str:
        return self.get_kind_display()

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("The timeline is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The timeline is append-only.")


class DeadlineNotice(models.Model):
    """That a reminder or overdue notice went out for one assignment and due date.

    The unique constraint is the "once" of "each (item, kind, due date) is sent once":
    overlapping sweeps both try to insert, and only the one that succeeds sends.
    """

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Reminder")
        OVERDUE = "overdue", _("Overdue notice")

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="notices"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    due_date = models.DateField(_("due date"))
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("deadline notice")
        verbose_name_plural = _("deadline notices")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "kind", "due_date"], name="deadline_notice_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due_date}"


def validate_not_markup(value: str) -> None:
    """Refuse HTML tags: opinions are plain text, and markup there is an attack."""
    if has_markup(value):
        raise ValidationError(_("Please write plain text without HTML tags."), code="markup")
