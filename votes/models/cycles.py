"""Ballot cycles (民生实事项目人大代表票决制), the proposals collected for them, the
negative list screening applies, and the candidates put to the vote.

A cycle belongs to one township or county congress and one year. Its rules — number
of places, margin ratio (差额比例), threshold basis and tie rule — are data, and they
are frozen the moment voting opens: from then on the model refuses to save a change.
"""

import math
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.models import Region
from stations.models import Congress, Deputy, Level

__all__ = [
    "BallotCycle",
    "Candidate",
    "CycleEvent",
    "NegativeListItem",
    "Phase",
    "Proposal",
    "RulesFrozen",
    "ThresholdBasis",
    "TieRule",
]

TITLE_MAX = 100
TEXT_MAX = 2000
# TextField.max_length only sizes the form widget; the validator makes full_clean refuse.
text_max = [MaxLengthValidator(TEXT_MAX)]


class RulesFrozen(ValidationError):
    """A change to a cycle's rules or candidates after voting opened."""


class Phase(models.TextChoices):
    COLLECTING = "collecting", _("Collecting proposals")
    SCREENING = "screening", _("Screening proposals")
    CANDIDATES = "candidates", _("Candidates published")
    VOTING = "voting", _("Voting open")
    COUNTED = "counted", _("Counted")
    PUBLISHED = "published", _("Results published")
    IMPLEMENTING = "implementing", _("Implementing")
    EVALUATED = "evaluated", _("Evaluated")


# The order phases come in; a phase "has been reached" when the cycle is at or past it.
PHASE_ORDER = [phase.value for phase in Phase]


class ThresholdBasis(models.TextChoices):
    """What "more than half" is half of (the local voting measure decides)."""

    ALL = "all", _("All deputies of the congress")
    PRESENT = "present", _("Deputies present")
    VALID = "valid", _("Valid ballots")


class TieRule(models.TextChoices):
    # The only rule the seeds and the guidance describe: a tie at the cut line is
    # flagged and the tied candidates go to a run-off for the remaining places.
    RUNOFF = "runoff", _("Run-off among the candidates tied at the cut line")


RULE_FIELDS = ("places", "margin_ratio", "threshold_basis", "tie_rule", "congress_id", "year")


class BallotCycle(models.Model):
    """One year's livelihood-project vote of one congress, from proposals to evaluation."""

    congress = models.ForeignKey(
        Congress, verbose_name=_("congress"), on_delete=models.PROTECT, related_name="cycles"
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    session = models.CharField(
        _("session"),
        max_length=100,
        blank=True,
        help_text=_("The congress session that votes, e.g. 第十八届人民代表大会第五次会议."),
    )
    places = models.PositiveSmallIntegerField(
        _("places"),
        validators=[MinValueValidator(1), MaxValueValidator(200)],
        help_text=_("How many projects the vote selects."),
    )
    margin_ratio = models.DecimalField(
        _("margin ratio"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.20"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("5"))],
        help_text=_(
            "The candidate list must hold at least places × (1 + ratio) projects, "
            "rounded up (差额)."
        ),
    )
    threshold_basis = models.CharField(
        _("threshold basis"),
        max_length=8,
        choices=ThresholdBasis.choices,
        default=ThresholdBasis.ALL,
        help_text=_("A project passes with the votes of more than half of this number."),
    )
    tie_rule = models.CharField(
        _("tie rule"), max_length=8, choices=TieRule.choices, default=TieRule.RUNOFF
    )
    phase = models.CharField(
        _("phase"), max_length=12, choices=Phase.choices, default=Phase.COLLECTING
    )
    collect_until = models.DateField(
        _("proposals accepted until"),
        null=True,
        blank=True,
        help_text=_("The public form closes after this day; empty while the office decides."),
    )
    notes = models.TextField(_("notes for deputies and the public"), blank=True)
    rules_frozen_at = models.DateTimeField(_("rules frozen"), null=True, blank=True)
    published_at = models.DateTimeField(_("results published"), null=True, blank=True)
    evaluated_at = models.DateTimeField(_("evaluation published"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    region_path = "congress__region"

    class Meta:
        verbose_name = _("ballot cycle")
        verbose_name_plural = _("ballot cycles")
        ordering = ["-year", "congress_id"]
        constraints = [
            models.UniqueConstraint(fields=["congress", "year"], name="cycle_one_per_year"),
            models.CheckConstraint(condition=models.Q(places__gte=1), name="cycle_places_min"),
            # 差额: always more candidates than places.
            models.CheckConstraint(
                condition=models.Q(margin_ratio__gt=0), name="cycle_margin_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if self.pk is None:
            super().save(*args, **kwargs)
            return
        with transaction.atomic():
            # Compare with the row as it is now, under lock, not with what this object
            # saw when it was loaded: a copy loaded before voting opened must neither
            # change the rules nor write the freeze back to empty.
            stored = (
                BallotCycle.objects.select_for_update()
                .filter(pk=self.pk)
                .values(*RULE_FIELDS, "rules_frozen_at")
                .first()
            )
            self._refuse_frozen_changes(stored, kwargs.get("update_fields"))
            super().save(*args, **kwargs)

    @property
    def required_candidates(self) -> int:
        """The fewest candidates the margin allows: ceil(places × (1 + ratio)), and always
        more candidates than places (差额)."""
        if not self.places:
            return 0
        ratio = Decimal(str(self.margin_ratio)) if self.margin_ratio is not None else Decimal(0)
        return max(math.ceil(Decimal(self.places) * (Decimal(1) + ratio)), self.places + 1)

    @property
    def is_frozen(self) -> bool:
        return self.rules_frozen_at is not None

    def reached(self, phase: str) -> bool:
        return PHASE_ORDER.index(self.phase) >= PHASE_ORDER.index(phase)

    def clean(self) -> None:
        super().clean()
        if self.congress_id and self.congress.level not in (Level.COUNTY, Level.TOWNSHIP):
            raise ValidationError(
                {
                    "congress": _(
                        "Livelihood-project ballots are held by county and township congresses."
                    )
                }
            )
        if self.pk:
            stored = (
                BallotCycle.objects.filter(pk=self.pk)
                .values(*RULE_FIELDS, "rules_frozen_at")
                .first()
            )
            self._refuse_frozen_changes(stored, None)

    def _refuse_frozen_changes(self, stored: dict | None, update_fields) -> None:
        # The rules are what deputies voted under: changing them afterwards would change
        # the result. Checked on every save against the stored row, whatever the path.
        if not stored or stored["rules_frozen_at"] is None:
            return
        written = set(update_fields) if update_fields is not None else None

        def writes(name: str) -> bool:
            return written is None or name in written or name.removesuffix("_id") in written

        if writes("rules_frozen_at") and self.rules_frozen_at != stored["rules_frozen_at"]:
            raise RulesFrozen(_("Voting has opened: the ballot rules stay frozen."))
        changed = [
            name for name in RULE_FIELDS if writes(name) and getattr(self, name) != stored[name]
        ]
        if changed:
            labels = ", ".join(
                str(self._meta.get_field(name.removesuffix("_id")).verbose_name) for name in changed
            )
            raise RulesFrozen(
                _(
                    "Voting has opened, so the ballot rules are frozen and cannot be "
                    "changed (%(fields)s)."
                )
                % {"fields": labels}
            )


def _cycle_frozen(cycle_id, *, lock: bool) -> bool:
    """Whether the cycle's voting has opened, read from the database (not from memory)."""
    rows = BallotCycle.objects.filter(pk=cycle_id, rules_frozen_at__isnull=False)
    if lock:
        rows = rows.select_for_update()
    return rows.exists()


class CycleEvent(models.Model):
    """The cycle's audit trail: who moved it to which phase, opened or counted a round."""

    cycle = models.ForeignKey(
        BallotCycle, verbose_name=_("ballot cycle"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=30)
    text = models.CharField(_("text"), max_length=300)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    region_path = "cycle__congress__region"

    class Meta:
        verbose_name = _("cycle event")
        verbose_name_plural = _("cycle events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text


class NegativeListItem(models.Model):
    """A kind of project that is never put to the vote (不纳入的负面清单).

    An item with no region applies everywhere; otherwise in that region and below.
    """

    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: applies everywhere."),
    )
    text = models.CharField(_("text"), max_length=200)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("negative-list item")
        verbose_name_plural = _("negative list")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.text


class Proposal(models.Model):
    """A project idea collected for a cycle (征集), then screened by the office (审核)."""

    class Source(models.TextChoices):
        PUBLIC = "public", _("The public")
        DEPUTY = "deputy", _("A deputy")
        DEPARTMENT = "department", _("A government department")
        STAFF = "staff", _("The congress office")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for screening")
        ACCEPTED = "accepted", _("Accepted as a candidate")
        REJECTED = "rejected", _("Not accepted")

    cycle = models.ForeignKey(
        BallotCycle,
        verbose_name=_("ballot cycle"),
        on_delete=models.CASCADE,
        related_name="proposals",
    )
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    content = models.TextField(_("what and why"), max_length=TEXT_MAX, validators=text_max)
    location = models.CharField(_("place"), max_length=100, blank=True)
    estimated_investment = models.DecimalField(
        _("estimated investment (10,000 yuan)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    deputy = models.ForeignKey(
        Deputy,
        verbose_name=_("deputy"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="project_proposals",
    )
    department_name = models.CharField(_("department"), max_length=100, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    # Screening (审核): the three tests the guidance names, the reason, the negative list.
    public_benefit = models.BooleanField(_("of public benefit"), null=True, blank=True)
    feasible = models.BooleanField(_("feasible this year"), null=True, blank=True)
    affordable = models.BooleanField(_("within fiscal capacity"), null=True, blank=True)
    screening_reason = models.TextField(
        _("screening reason"), blank=True, max_length=TEXT_MAX, validators=text_max
    )
    negative_items = models.ManyToManyField(
        NegativeListItem, verbose_name=_("negative-list items"), blank=True, related_name="+"
    )
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("screened by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    screened_at = models.DateTimeField(_("screened"), null=True, blank=True)
    candidate = models.ForeignKey(
        "Candidate",
        verbose_name=_("candidate"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
        help_text=_("Several similar proposals may become one candidate."),
    )

    region_path = "cycle__congress__region"

    class Meta:
        verbose_name = _("project proposal")
        verbose_name_plural = _("project proposals")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["cycle", "status"], name="proposal_cycle_status_idx")]

    def __str__(self) -> str:
        return self.title


class Candidate(models.Model):
    """A project on the ballot (候选项目)."""

    cycle = models.ForeignKey(
        BallotCycle,
        verbose_name=_("ballot cycle"),
        on_delete=models.CASCADE,
        related_name="candidates",
    )
    number = models.PositiveSmallIntegerField(
        _("ballot number"), help_text=_("The order on the ballot paper.")
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    description = models.TextField(_("description"), max_length=TEXT_MAX, validators=text_max)
    location = models.CharField(_("place"), max_length=100, blank=True)
    investment = models.DecimalField(
        _("investment (10,000 yuan)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    responsible_unit = models.CharField(
        _("responsible department"),
        max_length=100,
        help_text=_("The government department that carries the project out."),
    )
    planned_completion = models.DateField(_("planned completion"))
    # Set by the count, never by hand.
    selected = models.BooleanField(_("selected"), default=False, editable=False)
    final_rank = models.PositiveSmallIntegerField(_("rank"), null=True, blank=True, editable=False)

    region_path = "cycle__congress__region"

    class Meta:
        verbose_name = _("candidate project")
        verbose_name_plural = _("candidate projects")
        ordering = ["cycle_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "number"], name="candidate_unique_number"),
            models.UniqueConstraint(fields=["cycle", "title"], name="candidate_unique_title"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"

    def save(self, *args, **kwargs):
        # The count writes ``selected`` and ``final_rank``; nothing else may change once
        # deputies have seen the ballot. The cycle row is locked so that the check and
        # the write cannot straddle the opening of the vote.
        update_fields = kwargs.get("update_fields")
        count_only = update_fields is not None and set(update_fields) <= {"selected", "final_rank"}
        with transaction.atomic():
            if not count_only and self.cycle_id and _cycle_frozen(self.cycle_id, lock=True):
                raise RulesFrozen(
                    _("Voting has opened, so the candidate list is frozen and cannot be changed.")
                )
            super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if self.cycle_id and _cycle_frozen(self.cycle_id, lock=False):
            raise RulesFrozen(
                _("Voting has opened, so the candidate list is frozen and cannot be changed.")
            )

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            if _cycle_frozen(self.cycle_id, lock=True):
                raise RulesFrozen(
                    _("Voting has opened, so the candidate list is frozen and cannot be changed.")
                )
            return super().delete(*args, **kwargs)
