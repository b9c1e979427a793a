"""Public pages of the livelihood-project ballots (民生实事项目票决), made for a phone.

No account is needed. What a page shows follows the cycle's phase: the call for
proposals while it collects, the candidate list from then on, the results of the vote
once published, the satisfaction results once the evaluation is published. Before
publication no figure of any count appears, even when a round has been counted: the
office publishes, not the count (``selectors.results_published``).

Every page is a fixed number of queries, whatever the number of candidates, results,
receipts or milestones: the selectors own the joins.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from liaison import pages
from liaison.forms import submission_claim, submission_done, submission_release
from votes import selectors, services
from votes.forms import ProposalForm
from votes.models import BallotCycle, Choice, Phase, Project, Proposal, Round, RoundResult
from votes.models.cycles import PHASE_ORDER

PAGE_SIZE = 30
PROPOSAL_SCOPE = "public-proposal"
PROPOSAL_SESSION_KEY = "votes:proposal"
# The one-time keys of the proposal form (liaison.forms.submission_claim).
PROPOSAL_KEYS = "public-proposal"
# A region filter is a whole code or the significant digits of one (43, 4304, 430421…).
REGION_RE = re.compile(r"^[0-9]{2,12}$")


def _cycle_or_404(pk: int) -> BallotCycle:
    try:
        return selectors.cycle_for_page(pk)
    except BallotCycle.DoesNotExist:
        raise Http404 from None


# --- The cycles -------------------------------------------------------------------------


@require_safe
def cycle_list(request):
    """Every cycle, newest year first, optionally of one region's subtree."""
    raw = request.GET.get("region", "").strip()[:20]
    region_code = ""
    region_error = ""
    if raw:
        if REGION_RE.match(raw):
            region_code = raw.ljust(12, "0")
        else:
            region_error = _("A region code is 12 digits, e.g. 430421000000.")
    try:
        cycles = selectors.cycles_public(region_code=region_code or None)
    except ValueError:  # digits, but not a code of any level
        region_code = ""
        region_error = _("A region code is 12 digits, e.g. 430421000000.")
        cycles = selectors.cycles_public()
    page = Paginator(cycles, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "votes/public/cycle_list.html",
        {
            "page": page,
            "regions": list(selectors.cycle_regions()),
            "region_code": region_code,
            "region_error": region_error,
        },
    )


# --- One cycle --------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultRow:
    result: RoundResult
    figures: list[int]  # in the order of the round's choices


@dataclass(frozen=True)
class RoundView:
    round: Round
    labels: list[str]
    rows: list[ResultRow]


def _round_view(round_: Round) -> RoundView:
    choices = [str(choice) for choice in round_.choices]
    return RoundView(
        round=round_,
        labels=[Choice(choice).label for choice in choices],
        rows=[
            ResultRow(result=result, figures=[int(result.counts.get(c, 0)) for c in choices])
            for result in round_.results.all()
        ],
    )


def _phases(cycle: BallotCycle) -> list[tuple[str, str]]:
    """(label, "done" | "current" | "") for each phase, in order."""
    current = PHASE_ORDER.index(cycle.phase)
    return [
        (phase.label, "done" if index < current else "current" if index == current else "")
        for index, phase in enumerate(Phase)
    ]


@require_safe
def cycle_detail(request, pk: int):
    """One cycle, as far as its phase has come."""
    cycle = _cycle_or_404(pk)
    context: dict = {
        "cycle": cycle,
        "proposals_open": selectors.proposals_open(cycle),
        "candidates": [],
        "rounds": [],
        "satisfaction": [],
        "receipts": [],
        "satisfaction_receipts": [],
        "projects": [],
        "results_published": selectors.results_published(cycle),
        "evaluation_published": selectors.evaluation_published(cycle),
        "phases": _phases(cycle),
    }
    if cycle.reached(Phase.CANDIDATES):
        context["candidates"] = selectors.candidates_of(cycle)
    if context["results_published"]:
        kinds = list(selectors.SELECTION_KINDS)
        if context["evaluation_published"]:
            kinds += selectors.SATISFACTION_KINDS
        views = [_round_view(r) for r in selectors.counted_rounds(cycle, kinds=kinds)]
        context["rounds"] = [v for v in views if v.round.kind != Round.Kind.SATISFACTION]
        context["satisfaction"] = [v for v in views if v.round.kind == Round.Kind.SATISFACTION]
        context["receipts"] = selectors.receipts(cycle, kinds=selectors.SELECTION_KINDS)
        if context["evaluation_published"]:
            context["satisfaction_receipts"] = selectors.receipts(
                cycle, kinds=selectors.SATISFACTION_KINDS
            )
    if cycle.reached(Phase.IMPLEMENTING):
        context["projects"] = list(selectors.projects_of(cycle))
    return render(request, "votes/public/cycle_detail.html", context)


# --- Proposals from the public ---------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def propose(request, pk: int):
    """The public call for proposals (征集): a project idea, nothing about the person."""
    cycle = _cycle_or_404(pk)
    if not selectors.proposals_open(cycle):
        return render(request, "votes/public/propose_closed.html", {"cycle": cycle})
    wait = None
    if request.method == "POST":
        wait = pages.blocked(request, scope=PROPOSAL_SCOPE, rate=settings.LIAISON_PROPOSAL_RATE)
        form = ProposalForm(request.POST)
        if wait is None and form.is_valid():
            data = form.cleaned_data
            key = data["submission_key"]
            first, earlier = submission_claim(PROPOSAL_KEYS, key)
            if not first:
                # The second post of a double click: the first one made the proposal.
                if earlier:
                    request.session[PROPOSAL_SESSION_KEY] = earlier
                return redirect("votes:propose_done", pk=cycle.pk)
            try:
                proposal = services.proposal_submit(
                    cycle=cycle,
                    source=Proposal.Source.PUBLIC,
                    title=data["title"],
                    content=data["content"],
                    location=data["location"],
                )
            except ValidationError as exc:
                submission_release(PROPOSAL_KEYS, key)
                form.add_service_errors(exc)
            else:
                submission_done(PROPOSAL_KEYS, key, proposal.pk)
                request.session[PROPOSAL_SESSION_KEY] = proposal.pk
                return redirect("votes:propose_done", pk=cycle.pk)
    else:
        form = ProposalForm()
    return pages.render_limited(
        request, "votes/public/propose.html", {"cycle": cycle, "form": form}, wait
    )


@never_cache
@require_safe
def propose_done(request, pk: int):
    """After a proposal (POST/redirect/GET): what was received and what happens next."""
    cycle = _cycle_or_404(pk)
    # Shown once: on a shared phone the next person need not see it.
    proposal_id = request.session.pop(PROPOSAL_SESSION_KEY, None)
    proposal = (
        Proposal.objects.filter(pk=proposal_id, cycle=cycle).first()
        if isinstance(proposal_id, int)
        else None
    )
    if proposal is None:
        return redirect("votes:cycle", pk=cycle.pk)
    return render(request, "votes/public/propose_done.html", {"cycle": cycle, "proposal": proposal})


# --- A project's progress --------------------------------------------------------------


@require_safe
def project_detail(request, pk: int):
    """Progress of a selected project: milestones, reports, photos, inspections."""
    try:
        project = selectors.project_detail(pk)
    except Project.DoesNotExist:
        raise Http404 from None
    cycle = project.candidate.cycle
    if not cycle.reached(Phase.IMPLEMENTING):
        raise Http404
    return render(
        request,
        "votes/public/project_detail.html",
        {"project": project, "cycle": cycle, "candidate": project.candidate},
    )
