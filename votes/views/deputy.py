"""Deputies' ballot pages, made for a phone: their cycles and open rounds, the secret
ballot, proposing a project, and the inspections of the projects their group supervises.

Who may open what: only an account with the deputy role and a deputy record (403 for
anyone else, as on the other deputy pages); a ballot or a proposal form of a congress
the deputy does not sit in is a 403 too, with a page saying why.

Ballot secrecy reaches into this module: the receipt code is shown once, in the answer
to the POST that cast the ballot, with ``Cache-Control: no-store``. It never goes into
the session (stored with the user id), a message, a redirect address or a log, any of
which would link the deputy to the receipt, and through it to the marks.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe

from liaison.forms import submission_claim, submission_done, submission_release
from liaison.pages import deputy_or_403
from votes import selectors, services, tracking
from votes.forms import BallotForm, DeputyProposalForm, InspectionForm
from votes.models import BallotCycle, Proposal, Round

get_or_post = require_http_methods(["GET", "HEAD", "POST"])
# The one-time keys of the proposal form (liaison.forms.submission_claim).
PROPOSAL_KEYS = "deputy-proposal"


def _page(request, template: str, context: dict, *, status: int = 200):
    """A page of the deputy's ballot section (``section`` marks it in the navigation)."""
    context = context | {"section": "ballots"}
    return render(request, f"votes/deputy/{template}", context, status=status)


def _refused(request, message: str, *, status: int = 403):
    """A refusal the deputy can read (Django's bare 403 page says nothing)."""
    return render(request, "votes/deputy/refused.html", {"message": message}, status=status)


# --- The deputy's ballots --------------------------------------------------------------


@never_cache
@login_required
@require_safe
def ballot_list(request):
    """The cycles of the deputy's congresses, and the rounds open to them now."""
    deputy = deputy_or_403(request.user)
    cycles = list(selectors.cycles_for_deputy(deputy))
    today = timezone.localdate()
    return _page(
        request,
        "ballot_list.html",
        {
            "deputy": deputy,
            "rounds": list(selectors.open_rounds_for(deputy)),
            "cycles": [(cycle, selectors.proposals_open(cycle, today=today)) for cycle in cycles],
        },
    )


# --- The secret ballot -----------------------------------------------------------------


@never_cache
@sensitive_post_parameters()  # the marks never go into an error report
@login_required
@get_or_post
def ballot(request, round_id: int):
    """The ballot paper of one round: every candidate gets one of the round's marks."""
    deputy = deputy_or_403(request.user)
    round_ = get_object_or_404(selectors.round_for_ballot(), pk=round_id)
    if not services.is_eligible(round_.cycle, deputy):
        return _refused(request, _("Only deputies of this congress may vote in this cycle."))
    # On a POST the statuses below say the ballot was not taken: 409 Conflict.
    conflict = 409 if request.method == "POST" else 200
    if services.has_voted(round_, deputy):
        return _voted(request, round_, status=conflict)
    if not round_.is_open:
        return _closed(request, round_, status=conflict)
    form = BallotForm(request.POST if request.method == "POST" else None, round_=round_)
    if request.method == "POST" and form.is_valid():
        try:
            receipt = services.ballot_cast(round_=round_, deputy=deputy, marks=form.marks())
        except services.AlreadyVoted:
            return _voted(request, round_, status=409)
        except services.VotingClosed:  # a ValidationError: caught before the others
            return _closed(request, round_, status=409)
        except services.NotEligible as exc:
            return _refused(request, str(exc))
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            # The receipt is in this answer and nowhere else; never_cache has already
            # marked it no-store, so neither the browser nor a proxy keeps a copy.
            response = render(
                request,
                "votes/deputy/receipt.html",
                {"round": round_, "cycle": round_.cycle, "receipt": receipt},
                status=201,
            )
            response["Referrer-Policy"] = "no-referrer"
            return response
    return _page(
        request,
        "ballot.html",
        {
            "deputy": deputy,
            "round": round_,
            "cycle": round_.cycle,
            "form": form,
            "is_selection": round_.kind != Round.Kind.SATISFACTION,
            # Filled in by the page's script as the deputy marks.
            "for_count_template": _("Marked “for”: %(count)s of at most %(places)s.")
            % {"count": "__count__", "places": "__places__"},
        },
    )


def _voted(request, round_: Round, *, status: int):
    return _page(request, "voted.html", {"round": round_, "cycle": round_.cycle}, status=status)


def _closed(request, round_: Round, *, status: int):
    return _page(request, "closed.html", {"round": round_, "cycle": round_.cycle}, status=status)


# --- Proposing a project ---------------------------------------------------------------


@never_cache
@login_required
@get_or_post
def propose(request, pk: int):
    """A deputy proposes a project for a cycle of their congress (征集)."""
    deputy = deputy_or_403(request.user)
    cycle = get_object_or_404(BallotCycle.objects.select_related("congress"), pk=pk)
    if not services.is_eligible(cycle, deputy):
        return _refused(request, _("Only deputies of this congress may propose projects here."))
    if not selectors.proposals_open(cycle):
        return _page(request, "propose.html", {"deputy": deputy, "cycle": cycle, "form": None})
    form = DeputyProposalForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        key = data["submission_key"]
        if not submission_claim(PROPOSAL_KEYS, key)[0]:
            # The second post of a double click: the first one made the proposal.
            return redirect("votes:deputy_ballots")
        try:
            proposal = services.proposal_submit(
                cycle=cycle,
                source=Proposal.Source.DEPUTY,
                title=data["title"],
                content=data["content"],
                location=data["location"],
                estimated_investment=data["estimated_investment"],
                deputy=deputy,
                by=request.user,
            )
        except services.NotEligible as exc:
            submission_release(PROPOSAL_KEYS, key)
            return _refused(request, str(exc))
        except ValidationError as exc:
            submission_release(PROPOSAL_KEYS, key)
            form.add_service_errors(exc)
        else:
            submission_done(PROPOSAL_KEYS, key, proposal.pk)
            messages.success(
                request,
                _("Your proposal has been received. The office screens it with the others."),
            )
            return redirect("votes:deputy_ballots")
    return _page(request, "propose.html", {"deputy": deputy, "cycle": cycle, "form": form})


# --- Supervising projects --------------------------------------------------------------


@never_cache
@login_required
@require_safe
def project_list(request):
    """The projects the deputy's groups supervise (年初问计划、年中问进度、年底问效果)."""
    deputy = deputy_or_403(request.user)
    projects = list(selectors.projects_supervised_by(deputy))
    return _page(request, "project_list.html", {"deputy": deputy, "projects": projects})


@never_cache
@login_required
@get_or_post
def inspect(request, pk: int):
    """The supervising group's inspection report on a project (代表视察)."""
    deputy = deputy_or_403(request.user)
    project = get_object_or_404(selectors.project_for_inspection(), pk=pk)
    if not tracking.may_inspect(request.user, project):
        return _refused(
            request, _("Only deputies of the group that supervises this project may inspect it.")
        )
    form = InspectionForm(
        request.POST if request.method == "POST" else None,
        members=tracking.inspectors_of(project),
        initial={"deputies": [deputy.pk], "inspected_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            tracking.inspection_submit(
                project=project,
                kind=data["kind"],
                inspected_on=data["inspected_on"],
                finding=data["finding"],
                report=data["report"],
                deputies=list(data["deputies"]),
                by=request.user,
            )
        except PermissionDenied as exc:
            return _refused(request, str(exc) or _("You may not inspect this project."))
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The inspection report has been recorded."))
            return redirect("votes:deputy_projects")
    return _page(
        request,
        "inspect.html",
        {"deputy": deputy, "project": project, "candidate": project.candidate, "form": form},
    )
