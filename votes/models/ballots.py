"""Rounds of voting, the roll of who has voted, the secret ballots, paper tallies and
results.

Secrecy (the design brief's invariant). Two tables are written in one transaction when a
deputy casts a ballot, and nothing joins them:

- ``RollEntry`` (round, deputy) says *that* a deputy voted. Its UNIQUE constraint is
  what makes a second ballot impossible, whatever the concurrency.
- ``Ballot`` + ``Mark`` say *how* someone voted. A ballot has a random UUID key, a
  random receipt code and its round; a mark has a random UUID key, the ballot, a
  candidate and a choice. No foreign key, hash or copy of the deputy; no timestamp; no
  sequential key whose order would match the roll's.

The physical order of freshly inserted rows (and PostgreSQL's ``xmin``) still follows
the order of casting while a round is open; closing the round "shakes the box"
(``votes.services.ballots_seal``): every ballot and mark of the round is deleted and
re-inserted in a random order in one transaction, so afterwards the rows share one
``xmin`` and their order is random. See docs/security.md for what remains out of scope.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from stations.models import Deputy
from votes.models.cycles import BallotCycle, Candidate

__all__ = [
    "Attendance",
    "Ballot",
    "Choice",
    "Mark",
    "RollEntry",
    "Round",
    "RoundResult",
    "TallyLine",
    "TallySheet",
]

# No 0/O, 1/I/L: a receipt copied by hand or read aloud stays unambiguous.
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RECEIPT_LENGTH = 10


def new_receipt() -> str:
    # 31^10 ≈ 8e14: a deputy cannot guess another's receipt, and a receipt reveals
    # nothing but that one ballot was counted.
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))


class Choice(models.TextChoices):
    FOR = "for", _("For")
    AGAINST = "against", _("Against")
    ABSTAIN = "abstain", _("Abstain")
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class Round(models.Model):
    """One vote of a cycle: the selection vote, a run-off, or the satisfaction vote."""

    class Kind(models.TextChoices):
        SELECTION = "selection", _("Selection vote")
        RUNOFF = "runoff", _("Run-off")
        SATISFACTION = "satisfaction", _("Satisfaction vote")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed, waiting for the count")
        COUNTED = "counted", _("Counted")

    # The marks a ballot of each kind may carry, in the order the form shows them.
    CHOICES = {
        Kind.SELECTION: (Choice.FOR, Choice.AGAINST, Choice.ABSTAIN),
        Kind.RUNOFF: (Choice.FOR, Choice.AGAINST, Choice.ABSTAIN),
        Kind.SATISFACTION: (Choice.SATISFIED, Choice.BASICALLY_SATISFIED, Choice.UNSATISFIED),
    }

    cycle = models.ForeignKey(
        BallotCycle, verbose_name=_("ballot cycle"), on_delete=models.CASCADE, related_name="rounds"
    )
    number = models.PositiveSmallIntegerField(_("round"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    places = models.PositiveSmallIntegerField(
        _("places"), help_text=_("How many candidates this round selects (none for satisfaction).")
    )
    candidates = models.ManyToManyField(
        Candidate, verbose_name=_("candidates"), related_name="rounds"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    electorate = models.PositiveIntegerField(
        _("deputies entitled to vote"),
        help_text=_("The congress's active deputies when the round opened."),
    )
    opened_at = models.DateTimeField(_("opened"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    counted_at = models.DateTimeField(_("counted"), null=True, blank=True)
    # Figures of the count, kept with the round so the published page never recomputes.
    electronic_ballots = models.PositiveIntegerField(_("electronic ballots"), default=0)
    paper_valid = models.PositiveIntegerField(_("valid paper ballots"), default=0)
    present = models.PositiveIntegerField(_("deputies present"), default=0)
    basis = models.PositiveIntegerField(_("threshold basis (number)"), default=0)
    threshold = models.PositiveIntegerField(
        _("votes needed to pass"), default=0, help_text=_("More than half of the basis.")
    )
    tie = models.BooleanField(
        _("tie at the cut line"),
        default=False,
        help_text=_("Set by the count; a run-off must settle the remaining places."),
    )
    sealed = models.BooleanField(_("ballot box shaken"), default=False, editable=False)

    region_path = "cycle__congress__region"

    class Meta:
        verbose_name = _("voting round")
        verbose_name_plural = _("voting rounds")
        ordering = ["cycle_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "number"], name="round_unique_number"),
            # A cycle has at most one round under way (open or waiting for its count):
            # a cast always knows its round, and a run-off never overlaps its parent.
            models.UniqueConstraint(
                fields=["cycle"],
                condition=models.Q(status__in=["open", "closed"]),
                name="round_one_under_way",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cycle} · {self.get_kind_display()} ({self.number})"

    @property
    def choices(self) -> tuple:
        return self.CHOICES[self.kind]

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class RollEntry(models.Model):
    """A deputy has voted in a round. Nothing here says how."""

    round = models.ForeignKey(
        Round, verbose_name=_("round"), on_delete=models.CASCADE, related_name="roll"
    )
    deputy = models.ForeignKey(
        Deputy, verbose_name=_("deputy"), on_delete=models.PROTECT, related_name="+"
    )

    region_path = "round__cycle__congress__region"

    class Meta:
        verbose_name = _("roll entry")
        verbose_name_plural = _("roll")
        constraints = [
            # One ballot per deputy per round: the database, not the view, decides.
            models.UniqueConstraint(fields=["round", "deputy"], name="roll_one_ballot_each"),
        ]

    def __str__(self) -> str:
        return f"{self.deputy} · {self.round}"


class Attendance(models.Model):
    """A deputy present at the session that votes (for the "deputies present" basis)."""

    cycle = models.ForeignKey(
        BallotCycle,
        verbose_name=_("ballot cycle"),
        on_delete=models.CASCADE,
        related_name="attendance",
    )
    deputy = models.ForeignKey(
        Deputy, verbose_name=_("deputy"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    region_path = "cycle__congress__region"

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "deputy"], name="attendance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.deputy} · {self.cycle}"


class Ballot(models.Model):
    """One electronic ballot: a receipt and its marks, and nothing about who cast it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(
        Round, verbose_name=_("round"), on_delete=models.CASCADE, related_name="ballots"
    )
    receipt = models.CharField(_("receipt code"), max_length=RECEIPT_LENGTH, default=new_receipt)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        # No default ordering: there is no order to give.
        constraints = [
            models.UniqueConstraint(fields=["round", "receipt"], name="ballot_unique_receipt"),
        ]

    def __str__(self) -> str:
        return self.receipt


class Mark(models.Model):
    """One candidate's mark on one ballot."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ballot = models.ForeignKey(
        Ballot, verbose_name=_("ballot"), on_delete=models.CASCADE, related_name="marks"
    )
    candidate = models.ForeignKey(
        Candidate, verbose_name=_("candidate"), on_delete=models.PROTECT, related_name="+"
    )
    choice = models.CharField(_("choice"), max_length=20, choices=Choice.choices)

    class Meta:
        verbose_name = _("mark")
        verbose_name_plural = _("marks")
        constraints = [
            models.UniqueConstraint(fields=["ballot", "candidate"], name="mark_once_per_candidate"),
        ]

    def __str__(self) -> str:
        return self.choice


class TallySheet(models.Model):
    """One scrutineer's independent entry of a round's paper ballots.

    Two office staff type the same paper count separately; the round accepts the paper
    count only when both entries agree in every figure; both are then marked accepted.
    """

    round = models.ForeignKey(
        Round, verbose_name=_("round"), on_delete=models.CASCADE, related_name="tally_sheets"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued = models.PositiveIntegerField(_("ballots issued"))
    returned = models.PositiveIntegerField(_("ballots returned"))
    invalid = models.PositiveIntegerField(_("invalid ballots"))
    accepted = models.BooleanField(_("accepted"), default=False)
    updated_at = models.DateTimeField(_("entered"), auto_now=True)

    region_path = "round__cycle__congress__region"

    class Meta:
        verbose_name = _("paper tally entry")
        verbose_name_plural = _("paper tally entries")
        constraints = [
            models.UniqueConstraint(fields=["round", "entered_by"], name="tally_one_entry_each"),
            models.CheckConstraint(
                condition=models.Q(returned__lte=models.F("issued")),
                name="tally_returned_not_above_issued",
            ),
            models.CheckConstraint(
                condition=models.Q(invalid__lte=models.F("returned")),
                name="tally_invalid_not_above_returned",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.entered_by}"

    @property
    def valid(self) -> int:
        return self.returned - self.invalid


class TallyLine(models.Model):
    """One figure of a tally entry: how many valid paper ballots gave a candidate a choice."""

    sheet = models.ForeignKey(
        TallySheet, verbose_name=_("tally entry"), on_delete=models.CASCADE, related_name="lines"
    )
    candidate = models.ForeignKey(
        Candidate, verbose_name=_("candidate"), on_delete=models.PROTECT, related_name="+"
    )
    choice = models.CharField(_("choice"), max_length=20, choices=Choice.choices)
    count = models.PositiveIntegerField(_("count"))

    class Meta:
        verbose_name = _("tally figure")
        verbose_name_plural = _("tally figures")
        constraints = [
            models.UniqueConstraint(
                fields=["sheet", "candidate", "choice"], name="tally_line_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.candidate_id} {self.choice} {self.count}"


class RoundResult(models.Model):
    """A candidate's result in a round: electronic and paper votes combined."""

    round = models.ForeignKey(
        Round, verbose_name=_("round"), on_delete=models.CASCADE, related_name="results"
    )
    candidate = models.ForeignKey(
        Candidate, verbose_name=_("candidate"), on_delete=models.CASCADE, related_name="results"
    )
    counts = models.JSONField(_("votes by choice"), default=dict)
    score = models.PositiveIntegerField(
        _("score"),
        help_text=_("Votes for (selection and run-off); satisfied plus basically satisfied."),
    )
    passed = models.BooleanField(_("passed the threshold"), default=False)
    rank = models.PositiveSmallIntegerField(_("rank"))
    selected = models.BooleanField(_("selected in this round"), default=False)
    tied = models.BooleanField(_("tied at the cut line"), default=False)
    rate = models.DecimalField(
        _("satisfaction rate (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    region_path = "round__cycle__congress__region"

    class Meta:
        verbose_name = _("round result")
        verbose_name_plural = _("round results")
        ordering = ["round_id", "rank", "candidate__number"]
        constraints = [
            models.UniqueConstraint(fields=["round", "candidate"], name="result_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.candidate} · {self.score}"
