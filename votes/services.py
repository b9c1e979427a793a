"""Writes for ballot cycles: phases, proposals and screening, candidates, attendance,
casting a secret ballot, paper tallies, the count, run-offs, publication and the
satisfaction vote. Views, the API, the admin and the tasks all call these.

Every phase change is checked here (``_require_phase``) and recorded as a
``CycleEvent``; the rules' freeze itself lives on the model, so no path can go around it.
"""

import logging
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from stations.models import Deputy, PointKind
from stations.points import points_award
from votes import counting
from votes.models import (
    Attendance,
    Ballot,
    BallotCycle,
    Candidate,
    Choice,
    CycleEvent,
    Mark,
    NegativeListItem,
    Phase,
    Project,
    Proposal,
    RollEntry,
    Round,
    RoundResult,
    TallyLine,
    TallySheet,
    ThresholdBasis,
)

logger = logging.getLogger(__name__)

__all__ = [
    "AlreadyVoted",
    "NotEligible",
    "VotingClosed",
    "attendance_set",
    "ballot_cast",
    "candidate_from_proposals",
    "cycle_move",
    "eligible_deputies",
    "evaluation_publish",
    "implementation_start",
    "proposal_screen",
    "proposal_submit",
    "results_publish",
    "round_close",
    "round_count",
    "runoff_open",
    "satisfaction_open",
    "tally_enter",
    "voting_open",
]


class AlreadyVoted(Exception):
    """The deputy's ballot in this round is already in the box."""


class NotEligible(PermissionDenied):
    """The person is not a deputy of the congress that votes."""


class VotingClosed(ValidationError):
    """The round is not open for ballots."""


def _event(cycle: BallotCycle, kind: str, text: str, by) -> None:
    CycleEvent.objects.create(cycle=cycle, kind=kind, text=str(text)[:300], actor=by)


def _require_phase(cycle: BallotCycle, *phases: str) -> None:
    if cycle.phase not in phases:
        raise ValidationError(
            _("This cannot be done while the cycle is at “%(phase)s”.")
            % {"phase": cycle.get_phase_display()}
        )


def _locked(cycle: BallotCycle) -> BallotCycle:
    # Phase changes read-check-write the cycle; the row lock keeps two clerks clicking
    # at once from both passing the check (e.g. two rounds opened).
    return BallotCycle.objects.select_for_update().select_related("congress").get(pk=cycle.pk)


# --- Who votes -------------------------------------------------------------------------


def eligible_deputies(cycle: BallotCycle):
    """The active deputies of the cycle's congress: they, and only they, may vote."""
    return Deputy.objects.filter(
        is_active=True,
        memberships__congress_id=cycle.congress_id,
        memberships__is_active=True,
    )


def is_eligible(cycle: BallotCycle, deputy: Deputy | None) -> bool:
    return bool(deputy) and eligible_deputies(cycle).filter(pk=deputy.pk).exists()


# --- Phases ----------------------------------------------------------------------------

# The moves a clerk makes by hand; voting, counting and publication have their own
# services because each does more than change the phase.
_MANUAL_MOVES = {
    (Phase.COLLECTING, Phase.SCREENING),
    (Phase.SCREENING, Phase.COLLECTING),
    (Phase.SCREENING, Phase.CANDIDATES),
    (Phase.CANDIDATES, Phase.SCREENING),
}


def _check_enough_candidates(cycle: BallotCycle) -> None:
    have = cycle.candidates.count()
    need = cycle.required_candidates
    if have < need:
        raise ValidationError(
            _(
                "The margin needs at least %(need)s candidates for %(places)s places "
                "(ratio %(ratio)s); the list has %(have)s."
            )
            % {"need": need, "places": cycle.places, "ratio": cycle.margin_ratio, "have": have}
        )


def cycle_move(*, cycle: BallotCycle, to: str, by) -> BallotCycle:
    """Move between collecting, screening and the published candidate list."""
    with transaction.atomic():
        cycle = _locked(cycle)
        if (cycle.phase, to) not in _MANUAL_MOVES:
            raise ValidationError(
                _("A cycle at “%(phase)s” cannot move to “%(to)s” this way.")
                % {"phase": cycle.get_phase_display(), "to": Phase(to).label}
            )
        if to == Phase.CANDIDATES:
            _check_enough_candidates(cycle)
        cycle.phase = to
        cycle.save(update_fields=["phase"])
        _event(
            cycle, "phase", _("Moved to “%(phase)s”.") % {"phase": cycle.get_phase_display()}, by
        )
    return cycle


def voting_open(*, cycle: BallotCycle, by) -> Round:
    """Open the selection vote: the rules and the candidate list freeze now."""
    with transaction.atomic():
        cycle = _locked(cycle)
        _require_phase(cycle, Phase.CANDIDATES)
        _check_enough_candidates(cycle)
        now = timezone.now()
        cycle.rules_frozen_at = now
        cycle.phase = Phase.VOTING
        cycle.save(update_fields=["rules_frozen_at", "phase"])
        round_ = _round_create(
            cycle,
            kind=Round.Kind.SELECTION,
            places=cycle.places,
            candidates=list(cycle.candidates.all()),
        )
        _event(cycle, "voting_open", _("Voting opened; the rules are frozen."), by)
    return round_


def _round_create(cycle: BallotCycle, *, kind: str, places: int, candidates) -> Round:
    number = (cycle.rounds.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    round_ = Round.objects.create(
        cycle=cycle,
        number=number,
        kind=kind,
        places=places,
        electorate=eligible_deputies(cycle).count(),
        opened_at=timezone.now(),
    )
    round_.candidates.set(candidates)
    return round_


def open_round(cycle: BallotCycle) -> Round | None:
    return cycle.rounds.filter(status=Round.Status.OPEN).first()


def runoff_open(*, cycle: BallotCycle, by) -> Round:
    """A run-off among the candidates tied at the cut line, for the places left."""
    with transaction.atomic():
        cycle = _locked(cycle)
        _require_phase(cycle, Phase.COUNTED)
        last = cycle.rounds.exclude(kind=Round.Kind.SATISFACTION).order_by("-number").first()
        if last is None or not last.tie:
            raise ValidationError(_("There is no tie to settle: the count is complete."))
        tied = [result.candidate for result in last.results.filter(tied=True)]
        remaining = last.places - last.results.filter(selected=True).count()
        cycle.phase = Phase.VOTING
        cycle.save(update_fields=["phase"])
        round_ = _round_create(cycle, kind=Round.Kind.RUNOFF, places=remaining, candidates=tied)
        _event(
            cycle,
            "runoff_open",
            _("Run-off opened among %(count)s tied candidates for %(places)s places.")
            % {"count": len(tied), "places": remaining},
            by,
        )
    return round_


def results_publish(*, cycle: BallotCycle, by) -> BallotCycle:
    with transaction.atomic():
        cycle = _locked(cycle)
        _require_phase(cycle, Phase.COUNTED)
        last = cycle.rounds.exclude(kind=Round.Kind.SATISFACTION).order_by("-number").first()
        if last is None or last.tie:
            raise ValidationError(
                _("A tie at the cut line must be settled by a run-off before publication.")
            )
        cycle.phase = Phase.PUBLISHED
        cycle.published_at = timezone.now()
        cycle.save(update_fields=["phase", "published_at"])
        _event(cycle, "published", _("Results published."), by)
    return cycle


def implementation_start(*, cycle: BallotCycle, by) -> list[Project]:
    """Hand the selected projects over for implementation tracking."""
    with transaction.atomic():
        cycle = _locked(cycle)
        _require_phase(cycle, Phase.PUBLISHED)
        projects = [
            Project.objects.get_or_create(
                candidate=candidate, defaults={"budget": candidate.investment}
            )[0]
            for candidate in cycle.candidates.filter(selected=True).order_by("number")
        ]
        cycle.phase = Phase.IMPLEMENTING
        cycle.save(update_fields=["phase"])
        _event(cycle, "implementing", _("Implementation tracking started."), by)
    return projects


def satisfaction_open(*, cycle: BallotCycle, by) -> Round:
    """The year-end satisfaction vote on the selected projects."""
    with transaction.atomic():
        cycle = _locked(cycle)
        _require_phase(cycle, Phase.IMPLEMENTING)
        if cycle.rounds.filter(kind=Round.Kind.SATISFACTION).exists():
            raise ValidationError(_("The satisfaction vote of this cycle has been held."))
        projects = list(cycle.candidates.filter(selected=True))
        if not projects:
            raise ValidationError(_("No project was selected, so there is nothing to rate."))
        round_ = _round_create(cycle, kind=Round.Kind.SATISFACTION, places=0, candidates=projects)
        _event(cycle, "satisfaction_open", _("Satisfaction vote opened."), by)
    return round_


def evaluation_publish(*, cycle: BallotCycle, by) -> BallotCycle:
    with transaction.atomic():
        cycle = _locked(cycle)
        _require_phase(cycle, Phase.IMPLEMENTING)
        if not cycle.rounds.filter(
            kind=Round.Kind.SATISFACTION, status=Round.Status.COUNTED
        ).exists():
            raise ValidationError(_("Count the satisfaction vote before publishing it."))
        cycle.phase = Phase.EVALUATED
        cycle.evaluated_at = timezone.now()
        cycle.save(update_fields=["phase", "evaluated_at"])
        _event(cycle, "evaluated", _("Satisfaction results published."), by)
    return cycle


# --- Proposals and candidates ----------------------------------------------------------


def proposal_submit(
    *,
    cycle: BallotCycle,
    source: str,
    title: str,
    content: str,
    location: str = "",
    estimated_investment: Decimal | None = None,
    deputy: Deputy | None = None,
    department_name: str = "",
    by=None,
) -> Proposal:
    """Collect a project idea (征集). The public and deputies may propose while the cycle
    collects; the office may still add proposals (its own, or a department's) while it
    screens."""
    with transaction.atomic():
        # Under the cycle's lock: a proposal never lands after the list was closed.
        cycle = _locked(cycle)
        return _proposal_create(
            cycle=cycle,
            source=source,
            title=title,
            content=content,
            location=location,
            estimated_investment=estimated_investment,
            deputy=deputy,
            department_name=department_name,
            by=by,
        )


def _proposal_create(
    *, cycle, source, title, content, location, estimated_investment, deputy, department_name, by
) -> Proposal:
    open_phases = [Phase.COLLECTING]
    if source in (Proposal.Source.STAFF, Proposal.Source.DEPARTMENT):
        open_phases.append(Phase.SCREENING)
    if cycle.phase not in open_phases:
        raise ValidationError(_("This cycle is not collecting proposals."))
    if (
        source in (Proposal.Source.PUBLIC, Proposal.Source.DEPUTY)
        and cycle.collect_until
        and timezone.localdate() > cycle.collect_until
    ):
        raise ValidationError(
            _("Proposals closed on %(date)s.") % {"date": f"{cycle.collect_until:%Y-%m-%d}"}
        )
    if source == Proposal.Source.DEPUTY and not is_eligible(cycle, deputy):
        raise NotEligible(_("Only deputies of this congress may propose projects here."))
    if source == Proposal.Source.DEPARTMENT and not department_name.strip():
        raise ValidationError({"department_name": _("Name the department that proposes it.")})
    proposal = Proposal(
        cycle=cycle,
        source=source,
        title=title.strip(),
        content=content.strip(),
        location=location.strip(),
        estimated_investment=estimated_investment,
        deputy=deputy if source == Proposal.Source.DEPUTY else None,
        department_name=department_name.strip(),
        submitted_by=by if getattr(by, "is_authenticated", False) else None,
    )
    proposal.full_clean(exclude=["cycle", "submitted_by", "deputy", "candidate"])
    proposal.save()
    return proposal


def proposal_screen(
    *,
    proposal: Proposal,
    accept: bool,
    reason: str = "",
    public_benefit: bool | None = None,
    feasible: bool | None = None,
    affordable: bool | None = None,
    negative_items: Iterable[NegativeListItem] = (),
    by,
) -> Proposal:
    """Screen a proposal (审核): accepted ones may become candidates; a rejection says why."""
    negative_items = list(negative_items)
    if accept:
        if negative_items:
            raise ValidationError(
                _("A proposal on the negative list cannot be accepted: %(items)s.")
                % {"items": "、".join(item.text for item in negative_items)}
            )
        if not (public_benefit and feasible and affordable):
            raise ValidationError(
                _(
                    "Accept only a proposal that is of public benefit, feasible this year "
                    "and within fiscal capacity."
                )
            )
    elif not reason.strip() and not negative_items:
        raise ValidationError(
            {"screening_reason": _("Give the reason, or the negative-list items it falls under.")}
        )
    with transaction.atomic():
        cycle = _locked(proposal.cycle)
        _require_phase(cycle, Phase.COLLECTING, Phase.SCREENING)
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.candidate_id and not accept:
            raise ValidationError(
                _("This proposal is already part of candidate “%(title)s”.")
                % {"title": proposal.candidate.title}
            )
        proposal.status = Proposal.Status.ACCEPTED if accept else Proposal.Status.REJECTED
        proposal.public_benefit = public_benefit
        proposal.feasible = feasible
        proposal.affordable = affordable
        proposal.screening_reason = reason.strip()
        proposal.screened_by = by
        proposal.screened_at = timezone.now()
        proposal.save()
        proposal.negative_items.set(negative_items)
    return proposal


def candidate_from_proposals(
    *,
    cycle: BallotCycle,
    proposals: Iterable[Proposal],
    title: str,
    description: str,
    investment: Decimal,
    responsible_unit: str,
    planned_completion,
    location: str = "",
    by,
) -> Candidate:
    """Turn one or more accepted proposals into a candidate on the ballot."""
    with transaction.atomic():
        cycle = _locked(cycle)
        _require_phase(cycle, Phase.COLLECTING, Phase.SCREENING)
        # Re-read under lock: a proposal screened again a moment ago counts as it is now.
        proposals = list(
            Proposal.objects.select_for_update().filter(pk__in=[p.pk for p in proposals])
        )
        for proposal in proposals:
            if proposal.cycle_id != cycle.pk or proposal.status != Proposal.Status.ACCEPTED:
                raise ValidationError(
                    _("Only accepted proposals of this cycle can become candidates: “%(title)s”.")
                    % {"title": proposal.title}
                )
        number = (
            cycle.candidates.order_by("-number").values_list("number", flat=True).first() or 0
        ) + 1
        candidate = Candidate(
            cycle=cycle,
            number=number,
            title=title.strip(),
            description=description.strip(),
            investment=investment,
            responsible_unit=responsible_unit.strip(),
            planned_completion=planned_completion,
            location=location.strip(),
        )
        candidate.full_clean()
        candidate.save()
        Proposal.objects.filter(pk__in=[p.pk for p in proposals]).update(candidate=candidate)
        _event(
            cycle, "candidate", _("Candidate “%(title)s” added.") % {"title": candidate.title}, by
        )
    return candidate


# --- Attendance ------------------------------------------------------------------------


def attendance_set(*, cycle: BallotCycle, deputies: Iterable[Deputy], by) -> int:
    """Record who is present at the voting session (the "deputies present" basis)."""
    deputies = list(deputies)
    with transaction.atomic():
        cycle = _locked(cycle)
        if cycle.rounds.filter(kind=Round.Kind.SELECTION, status=Round.Status.COUNTED).exists():
            raise ValidationError(_("The vote has been counted; attendance can no longer change."))
        eligible = set(eligible_deputies(cycle).values_list("pk", flat=True))
        strangers = [d.name for d in deputies if d.pk not in eligible]
        if strangers:
            raise ValidationError(
                _("Not deputies of this congress: %(names)s.") % {"names": "、".join(strangers)}
            )
        Attendance.objects.filter(cycle=cycle).exclude(deputy__in=deputies).delete()
        present = set(Attendance.objects.filter(cycle=cycle).values_list("deputy_id", flat=True))
        Attendance.objects.bulk_create(
            [
                Attendance(cycle=cycle, deputy=d, recorded_by=by)
                for d in deputies
                if d.pk not in present
            ]
        )
        _event(
            cycle,
            "attendance",
            _("Attendance recorded: %(count)s present.") % {"count": len(deputies)},
            by,
        )
    return len(deputies)


# --- Casting a ballot ------------------------------------------------------------------


def _clean_marks(round_: Round, marks) -> dict[int, str]:
    """Check a ballot against its round; return {candidate id: choice}."""
    if not isinstance(marks, Mapping) or not marks:
        raise ValidationError(_("The ballot is empty: mark every candidate."), code="empty")
    candidates = {c.pk: c for c in round_.candidates.all()}
    allowed = {str(choice) for choice in round_.choices}
    errors = []
    cleaned: dict[int, str] = {}
    seen: set[int] = set()
    for key, value in marks.items():
        try:
            candidate_id = int(key)
        except (TypeError, ValueError):
            candidate_id = None
        if candidate_id not in candidates:
            errors.append(
                _("“%(key)s” is not a candidate on this ballot.") % {"key": str(key)[:20]}
            )
            continue
        seen.add(candidate_id)
        if not isinstance(value, str) or value not in allowed:
            errors.append(
                _("The mark for “%(title)s” must be one of: %(choices)s.")
                % {
                    "title": candidates[candidate_id].title,
                    "choices": "、".join(str(Choice(c).label) for c in round_.choices),
                }
            )
            continue
        cleaned[candidate_id] = value
    missing = [c.title for pk, c in candidates.items() if pk not in seen]
    if missing:
        errors.append(
            _("Mark every candidate; no mark for: %(titles)s.") % {"titles": "、".join(missing)}
        )
    if round_.kind != Round.Kind.SATISFACTION:
        votes_for = sum(1 for choice in cleaned.values() if choice == Choice.FOR)
        if votes_for > round_.places:
            errors.append(
                _(
                    "You marked %(count)s projects “for”, but only %(places)s can be "
                    "selected: mark at most %(places)s “for”."
                )
                % {"count": votes_for, "places": round_.places}
            )
    if errors:
        raise ValidationError(errors, code="invalid")
    return cleaned


def _lock_round_for_casting(round_id: int) -> Round:
    # Casts take a SHARE lock on the round row, closing takes FOR UPDATE: many ballots
    # go in at once, but none can commit after the round was closed and counted. SQLite
    # has no row locks; it serialises every write transaction anyway.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM votes_round WHERE id = %s FOR SHARE", [round_id])
    return Round.objects.select_related("cycle").get(pk=round_id)


@sensitive_variables("marks", "cleaned", "marks_rows", "ballot")
def ballot_cast(*, round_: Round, deputy: Deputy | None, marks: Mapping) -> str:
    """Put a deputy's secret ballot in the box; return its receipt code.

    The roll entry and the ballot are written in one transaction and share nothing: the
    roll's UNIQUE (round, deputy) refuses a second ballot, however many arrive at once.
    The receipt is returned to the caller only, never stored with the deputy: the
    caller shows it once (no session, no log, no message).
    """
    if deputy is None or not is_eligible(round_.cycle, deputy):
        raise NotEligible(_("Only deputies of this congress may vote in this cycle."))
    cleaned = _clean_marks(round_, marks)
    with transaction.atomic():
        current = _lock_round_for_casting(round_.pk)
        if not current.is_open:
            raise VotingClosed(_("This round is closed: ballots are no longer accepted."))
        try:
            with transaction.atomic():
                RollEntry.objects.create(round=current, deputy=deputy)
        except IntegrityError:
            raise AlreadyVoted from None
        ballot = _ballot_insert(current)
        marks_rows = [
            Mark(ballot=ballot, candidate_id=candidate_id, choice=choice)
            for candidate_id, choice in cleaned.items()
        ]
        random.SystemRandom().shuffle(marks_rows)
        Mark.objects.bulk_create(marks_rows)
        points_award(
            deputy=deputy,
            kind=PointKind.BALLOT_CAST,
            occurred_on=timezone.localdate(),
            source_key=f"ballot:{current.pk}:{deputy.pk}",
            description=str(current)[:200],
        )
    return ballot.receipt


def _ballot_insert(round_: Round) -> Ballot:
    # A receipt collision (31^10 codes) is all but impossible; retry rather than fail.
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Ballot.objects.create(round=round_)
        except IntegrityError:
            continue
    raise IntegrityError("could not draw a unique receipt code")


def has_voted(round_: Round, deputy: Deputy) -> bool:
    return RollEntry.objects.filter(round=round_, deputy=deputy).exists()


# --- Paper ballots ---------------------------------------------------------------------


@dataclass
class TallyStatus:
    """Where the double entry of a round's paper count stands."""

    entries: int
    agreed: bool
    differences: list[str] = field(default_factory=list)  # labels, never the figures


def tally_enter(
    *,
    round_: Round,
    by,
    issued: int,
    returned: int,
    invalid: int,
    lines: Mapping[tuple[int, str], int],
) -> TallyStatus:
    """Record one scrutineer's count of the paper ballots (双人录入).

    Two different staff enter the same count; the paper figures count only when both
    entries agree in every number. Each may correct their own entry until the round is
    counted; a third person cannot add one.
    """
    errors = []
    numbers = {
        "issued": issued,
        "returned": returned,
        "invalid": invalid,
        **{str(k): v for k, v in lines.items()},
    }
    if any(not isinstance(n, int) or isinstance(n, bool) or n < 0 for n in numbers.values()):
        raise ValidationError(_("Every figure must be a whole number, zero or more."))
    if returned > issued:
        errors.append(_("More ballots returned than issued."))
    if invalid > returned:
        errors.append(_("More invalid ballots than ballots returned."))
    valid = returned - invalid
    candidates = {c.pk: c for c in round_.candidates.all()}
    choices = [str(c) for c in round_.choices]
    expected = {(pk, choice) for pk in candidates for choice in choices}
    keys = {(int(pk), str(choice)) for pk, choice in lines}
    if keys != expected:
        errors.append(_("Enter a figure for every candidate and every choice, and nothing else."))
    else:
        for pk, candidate in candidates.items():
            total = sum(lines[(pk, choice)] for choice in choices)
            if total != valid:
                errors.append(
                    _(
                        "“%(title)s”: the figures add up to %(total)s, but there are %(valid)s "
                        "valid ballots (count an unmarked box as abstain)."
                    )
                    % {"title": candidate.title, "total": total, "valid": valid}
                )
        if round_.kind != Round.Kind.SATISFACTION:
            votes_for = sum(lines[(pk, Choice.FOR.value)] for pk in candidates)
            if votes_for > valid * round_.places:
                errors.append(
                    _(
                        "%(count)s votes “for” in all cannot come from %(valid)s valid ballots "
                        "with at most %(places)s “for” each."
                    )
                    % {"count": votes_for, "valid": valid, "places": round_.places}
                )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = Round.objects.select_for_update().select_related("cycle").get(pk=round_.pk)
        if current.status == Round.Status.COUNTED:
            raise VotingClosed(_("This round has been counted; its paper tally is final."))
        sheets = {sheet.entered_by_id: sheet for sheet in current.tally_sheets.all()}
        if by.pk not in sheets and len(sheets) >= 2:
            raise ValidationError(
                _("Two people have entered this count already; one of them must correct theirs.")
            )
        sheet = sheets.get(by.pk) or TallySheet(round=current, entered_by=by)
        sheet.issued, sheet.returned, sheet.invalid = issued, returned, invalid
        sheet.save()
        sheet.lines.all().delete()
        TallyLine.objects.bulk_create(
            [
                TallyLine(sheet=sheet, candidate_id=pk, choice=choice, count=lines[(pk, choice)])
                for pk, choice in sorted(expected)
            ]
        )
        current.tally_sheets.update(accepted=False)
        status = tally_status(current)
        if status.agreed:
            current.tally_sheets.update(accepted=True)
        # The audit trail of the double entry: who entered, who corrected, when it was
        # accepted. Never the figures (the other clerk must count the papers, not copy).
        if by.pk in sheets:
            text = _("Paper tally of round %(number)s corrected by %(name)s.")
        else:
            text = _("Paper tally of round %(number)s entered by %(name)s.")
        name = by.get_full_name() or by.get_username()
        _event(current.cycle, "tally", text % {"number": current.number, "name": name}, by)
        if status.agreed:
            _event(
                current.cycle,
                "tally_accepted",
                _("The two paper tally entries of round %(number)s agree: accepted.")
                % {"number": current.number},
                by,
            )
    return status


def _sheet_figures(sheet: TallySheet) -> dict[str, int]:
    figures = {"issued": sheet.issued, "returned": sheet.returned, "invalid": sheet.invalid}
    for line in sheet.lines.all():
        figures[f"{line.candidate_id}:{line.choice}"] = line.count
    return figures


def tally_status(round_: Round) -> TallyStatus:
    sheets = list(round_.tally_sheets.prefetch_related("lines"))
    if len(sheets) < 2:
        return TallyStatus(entries=len(sheets), agreed=False)
    first, second = (_sheet_figures(sheet) for sheet in sheets[:2])
    labels = {
        "issued": _("ballots issued"),
        "returned": _("ballots returned"),
        "invalid": _("invalid ballots"),
    }
    titles = {c.pk: c.title for c in round_.candidates.all()}
    differences = []
    for key in sorted(set(first) | set(second)):
        if first.get(key) != second.get(key):
            if key in labels:
                differences.append(str(labels[key]))
            else:
                pk, choice = key.split(":")
                differences.append(f"{titles.get(int(pk), pk)} · {Choice(choice).label}")
    return TallyStatus(entries=2, agreed=not differences, differences=differences)


# --- Closing and counting --------------------------------------------------------------


def round_close(*, round_: Round, by) -> Round:
    """Stop accepting electronic ballots and shake the box; the count comes after the
    scrutineers' paper tally is entered."""
    with transaction.atomic():
        # FOR UPDATE waits for every cast holding its SHARE lock, and makes later casts
        # wait and then find the round closed.
        current = Round.objects.select_for_update().select_related("cycle").get(pk=round_.pk)
        if not current.is_open:
            raise VotingClosed(_("This round is not open."))
        current.status = Round.Status.CLOSED
        current.closed_at = timezone.now()
        current.save(update_fields=["status", "closed_at"])
        ballots_seal(current)
        _event(
            current.cycle,
            "closed",
            _("Round %(number)s closed: %(count)s electronic ballots.")
            % {"number": current.number, "count": current.ballots.count()},
            by,
        )
    return current


def ballots_seal(round_: Round) -> None:
    """Shake the ballot box: re-insert the round's ballots and marks in a random order.

    While the round was open, the order rows were inserted in (their physical place,
    PostgreSQL's ``xmin``) followed the order deputies voted in, and so did the roll's.
    Deleting and re-inserting them in one transaction, shuffled, leaves one ``xmin`` for
    all and an order that says nothing. The old row versions are dead and go with the
    next VACUUM (run after commit on PostgreSQL).
    """
    ballots = list(Ballot.objects.filter(round=round_).values_list("id", "receipt"))
    marks = list(
        Mark.objects.filter(ballot__round=round_).values_list(
            "id", "ballot_id", "candidate_id", "choice"
        )
    )
    Mark.objects.filter(ballot__round=round_).delete()
    Ballot.objects.filter(round=round_).delete()
    shuffle = random.SystemRandom().shuffle
    shuffle(ballots)
    shuffle(marks)
    Ballot.objects.bulk_create(
        [Ballot(id=pk, round=round_, receipt=receipt) for pk, receipt in ballots], batch_size=1000
    )
    Mark.objects.bulk_create(
        [Mark(id=pk, ballot_id=b, candidate_id=c, choice=ch) for pk, b, c, ch in marks],
        batch_size=2000,
    )
    Round.objects.filter(pk=round_.pk).update(sealed=True)
    if connection.vendor == "postgresql":
        transaction.on_commit(_vacuum_ballots)


def _vacuum_ballots() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM votes_mark, votes_ballot")
    except Exception:  # a missed VACUUM only delays what autovacuum does anyway
        logger.warning("VACUUM of the ballot tables failed", exc_info=True)


def _paper(round_: Round) -> tuple[TallySheet | None, dict[tuple[int, str], int]]:
    sheets = list(round_.tally_sheets.prefetch_related("lines"))
    if not sheets:
        return None, {}
    if len(sheets) < 2 or not all(sheet.accepted for sheet in sheets):
        raise ValidationError(
            _(
                "The paper tally has not been accepted: it needs two independent entries "
                "that agree in every figure."
            )
        )
    sheet = sheets[0]
    return sheet, {(line.candidate_id, line.choice): line.count for line in sheet.lines.all()}


def _present(round_: Round) -> int:
    selection = round_.cycle.rounds.filter(kind=Round.Kind.SELECTION).first() or round_
    attended = set(
        Attendance.objects.filter(cycle=round_.cycle).values_list("deputy_id", flat=True)
    )
    voted = set(RollEntry.objects.filter(round=selection).values_list("deputy_id", flat=True))
    return len(attended | voted)


def round_count(*, round_: Round, by) -> Round:
    """Count a closed round: electronic ballots and the accepted paper tally together."""
    with transaction.atomic():
        # Cycle first, then round: the order every service locks in. Holding the cycle
        # keeps attendance (and the phase) still while the count reads them.
        cycle = _locked(round_.cycle)
        current = Round.objects.select_for_update().get(pk=round_.pk)
        current.cycle = cycle
        if current.status == Round.Status.COUNTED:
            raise ValidationError(_("This round has been counted already."))
        if current.status == Round.Status.OPEN:
            raise ValidationError(_("Close the round before counting it."))
        _require_phase(
            cycle, Phase.IMPLEMENTING if current.kind == Round.Kind.SATISFACTION else Phase.VOTING
        )
        if not current.sealed:  # closed some other way than round_close: shake it now
            ballots_seal(current)
        sheet, paper = _paper(current)
        electronic = Ballot.objects.filter(round=current).count()
        on_roll = RollEntry.objects.filter(round=current).count()
        if electronic != on_roll:  # cannot happen: both are written in one transaction
            raise ValidationError(_("The roll and the ballot box disagree; the count stops."))
        paper_returned = sheet.returned if sheet else 0
        paper_valid = sheet.valid if sheet else 0
        present = _present(current)
        if electronic + paper_returned > current.electorate:
            raise ValidationError(
                _("%(ballots)s ballots for %(deputies)s deputies: check the paper tally.")
                % {"ballots": electronic + paper_returned, "deputies": current.electorate}
            )
        if (
            current.kind == Round.Kind.SELECTION
            and cycle.threshold_basis == ThresholdBasis.PRESENT
            and electronic + paper_returned > present
        ):
            raise ValidationError(
                _(
                    "%(ballots)s ballots but only %(present)s deputies recorded present: "
                    "record the attendance first."
                )
                % {"ballots": electronic + paper_returned, "present": present}
            )
        totals: dict[int, dict[str, int]] = defaultdict(dict)
        candidate_ids = list(current.candidates.values_list("pk", flat=True))
        for pk in candidate_ids:
            totals[pk] = {
                str(choice): paper.get((pk, str(choice)), 0) for choice in current.choices
            }
        for row in (
            Mark.objects.filter(ballot__round=current)
            .values("candidate_id", "choice")
            .annotate(n=Count("id"))
            .order_by()
        ):
            totals[row["candidate_id"]][row["choice"]] += row["n"]
        basis = {
            ThresholdBasis.ALL: current.electorate,
            ThresholdBasis.PRESENT: present,
            ThresholdBasis.VALID: electronic + paper_valid,
        }[cycle.threshold_basis]
        results = _decide(current, totals, basis)
        RoundResult.objects.filter(round=current).delete()
        RoundResult.objects.bulk_create(results)
        current.status = Round.Status.COUNTED
        current.counted_at = timezone.now()
        current.electronic_ballots = electronic
        current.paper_valid = paper_valid
        current.present = present
        current.basis = basis
        current.threshold = (
            counting.threshold_for(basis) if current.kind == Round.Kind.SELECTION else 0
        )
        current.tie = any(result.tied for result in results)
        current.save(
            update_fields=[
                "status",
                "counted_at",
                "electronic_ballots",
                "paper_valid",
                "present",
                "basis",
                "threshold",
                "tie",
            ]
        )
        _apply_to_candidates(current, results)
        if current.kind != Round.Kind.SATISFACTION:
            cycle.phase = Phase.COUNTED
            cycle.save(update_fields=["phase"])
        text = (
            _("Round %(number)s counted: a tie at the cut line needs a run-off.")
            if current.tie
            else _("Round %(number)s counted.")
        ) % {"number": current.number}
        _event(cycle, "counted", text, by)
    return current


def _decide(round_: Round, totals: dict[int, dict[str, int]], basis: int) -> list[RoundResult]:
    if round_.kind == Round.Kind.SATISFACTION:
        rows = []
        scores = {
            pk: counts[Choice.SATISFIED] + counts[Choice.BASICALLY_SATISFIED]
            for pk, counts in totals.items()
        }
        for outcome in counting.decide(scores, places=0, threshold=None):
            counts = totals[outcome.candidate_id]
            total = sum(counts.values())
            rate = (
                (Decimal(outcome.score) * 100 / total).quantize(Decimal("0.01"), ROUND_HALF_UP)
                if total
                else None
            )
            rows.append(
                RoundResult(
                    round=round_,
                    candidate_id=outcome.candidate_id,
                    counts=counts,
                    score=outcome.score,
                    rank=outcome.rank,
                    rate=rate,
                )
            )
        return rows
    threshold = counting.threshold_for(basis) if round_.kind == Round.Kind.SELECTION else None
    scores = {pk: counts[Choice.FOR] for pk, counts in totals.items()}
    return [
        RoundResult(
            round=round_,
            candidate_id=outcome.candidate_id,
            counts=totals[outcome.candidate_id],
            score=outcome.score,
            passed=outcome.passed,
            rank=outcome.rank,
            selected=outcome.selected,
            tied=outcome.tied,
        )
        for outcome in counting.decide(scores, places=round_.places, threshold=threshold)
    ]


def _apply_to_candidates(round_: Round, results: list[RoundResult]) -> None:
    if round_.kind == Round.Kind.SATISFACTION:
        return
    if round_.kind == Round.Kind.SELECTION:
        for result in results:
            Candidate.objects.filter(pk=result.candidate_id).update(
                selected=result.selected, final_rank=result.rank
            )
        return
    # A run-off decides only among the tied: the winners join those selected before,
    # and its ranking orders the tied among themselves below those already in.
    ahead = (
        Candidate.objects.filter(cycle_id=round_.cycle_id, selected=True)
        .exclude(pk__in=[result.candidate_id for result in results])
        .count()
    )
    for result in results:
        Candidate.objects.filter(pk=result.candidate_id).update(
            selected=result.selected, final_rank=ahead + result.rank
        )
