"""Workspaces: department handlers' items, and opinions addressed to a deputy.

A formal deputy suggestion reaches a department like any other item; its lead
department answers with a result class and one reply to each signing deputy.

Handlers and deputies have no admin access: these pages are their whole interface,
and most of them open it on a phone. Every write goes through ``suggestions.services``;
every read through ``suggestions.selectors``, so the lists run a fixed number of queries.

Who may open what: the role decides whether a page exists for the user at all (403),
the selector decides which items are theirs (404 for anything else, so an item's
existence is not revealed to other departments or deputies).
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from liaison.crypto import mask_name
from liaison.models import User
from suggestions import selectors, services
from suggestions.models import (
    TRANSITIONS,
    Assignment,
    Case,
    Department,
    DeputySuggestion,
    Reply,
    Suggestion,
)
from suggestions.services import DeputyDecision
from suggestions.workspace_forms import (
    AnswerOnSpotForm,
    DeputyDecisionForm,
    DeputyReplyForm,
    ReplyForm,
    ReturnForm,
    WorkspaceForm,
)

WORK_PAGE_SIZE = 25
DEPUTY_PAGE_SIZE = 25

OVERDUE = "overdue"
DUE_SOON = "soon"


# --- Helpers --------------------------------------------------------------------------


def _handler_departments(user: User) -> list[Department]:
    """The departments a handler works for; 403 for anyone who is not a handler."""
    if user.role != User.Role.DEPARTMENT:
        raise PermissionDenied
    departments = list(user.departments.order_by("name"))
    if not departments:
        raise PermissionDenied
    return departments


def _linked_deputy(user: User):
    """The deputy behind the account; 403 for anyone else."""
    deputy = getattr(user, "deputy", None) if user.role == User.Role.DEPUTY else None
    if deputy is None:
        raise PermissionDenied
    return deputy


def _due_soon_limit(today: dt.date) -> dt.date:
    # Calendar days, generous on purpose: twice the reminder's working days covers a
    # weekend or a short holiday in between.
    return today + dt.timedelta(days=settings.LIAISON_REMINDER_WORKDAYS * 2)


def deadline_state(due: dt.date | None, today: dt.date) -> str:
    """The badge a due date earns: overdue, due soon, or none ("")."""
    if due is None:
        return ""
    if due < today:
        return OVERDUE
    if due <= _due_soon_limit(today):
        return DUE_SOON
    return ""


def _reference(case: Case, deputy_suggestion: DeputySuggestion | None = None) -> str:
    """The item number, or a deputy suggestion's office number (2026-015). Never the
    tracking code: with the phone's tail it is the constituent's credential for
    tracking and rating, and handlers must not rate their own replies."""
    if case.kind == Case.Kind.DEPUTY:
        child = deputy_suggestion or getattr(case, "deputysuggestion", None)
        if child is not None and child.number:
            return f"{child.year}-{child.number}"
    return f"#{case.pk}"


def _is_waiting_for_deputy(suggestion: Suggestion) -> bool:
    return suggestion.status == Case.Status.RECEIVED and not suggestion.deputy_decision


WAITING_FOR_DEPUTY = Q(status=Case.Status.RECEIVED, deputy_decision="")


# --- Department handlers ------------------------------------------------------------


@dataclass(frozen=True)
class WorkRow:
    assignment: Assignment
    reference: str
    deadline: str


@never_cache
@login_required
@require_safe
def department_list(request):
    """The handler's open assignments, nearest deadline first (overdue on top)."""
    departments = _handler_departments(request.user)
    sort = "-due" if request.GET.get("sort") == "-due" else "due"
    assignments = selectors.department_assignments(user=request.user, sort=sort).select_related(
        "case__suggestion", "case__deputysuggestion"
    )
    today = timezone.localdate()
    counts = assignments.order_by().aggregate(
        overdue=Count("pk", filter=Q(due_date__lt=today)),
        soon=Count("pk", filter=Q(due_date__gte=today, due_date__lte=_due_soon_limit(today))),
    )
    page = Paginator(assignments, WORK_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        WorkRow(
            assignment=assignment,
            reference=_reference(assignment.case),
            deadline=deadline_state(assignment.due_date, today),
        )
        for assignment in page
    ]
    return render(
        request,
        "suggestions/workspace/department_list.html",
        {
            "departments": departments,
            "page": page,
            "rows": rows,
            "sort": sort,
            "overdue_count": counts["overdue"],
            "soon_count": counts["soon"],
            "section": "work",
        },
    )


DEPARTMENT_FORMS: dict[str, type[WorkspaceForm]] = {
    ReplyForm.action: ReplyForm,
    ReturnForm.action: ReturnForm,
    AnswerOnSpotForm.action: AnswerOnSpotForm,
}


def _department_act(action: str, *, case: Case, department: Department, user, form) -> str:
    """Run one handling service; returns the success message."""
    data = form.cleaned_data
    if isinstance(form, DeputyReplyForm):
        services.case_reply(
            case=case,
            department=department,
            author=user,
            public_text="",
            internal_note=data["internal_note"],
            result_class=data["result_class"],
            per_deputy=form.per_deputy(),
        )
        return _("Your replies to the deputies have been saved.")
    if action == ReplyForm.action:
        services.case_reply(
            case=case,
            department=department,
            author=user,
            public_text=data["public_text"],
            internal_note=data["internal_note"],
        )
        return _("Your reply has been saved.")
    if action == ReturnForm.action:
        services.case_return(case=case, department=department, user=user, reason=data["reason"])
        return _("The item has been returned to the liaison office.")
    services.case_answer_on_spot(
        case=case, user=user, public_text=data["public_text"], department=department
    )
    return _("The answer on the spot has been recorded.")


def _held_assignment(case: Case, departments: list[Department]) -> Assignment | None:
    """The user's active share of the case; the lead's if they hold both roles."""
    mine = {department.pk for department in departments}
    held = [
        assignment
        for assignment in case.assignments.all()
        if assignment.status == Assignment.Status.ACTIVE and assignment.department_id in mine
    ]
    held.sort(key=lambda assignment: assignment.role != Assignment.Role.LEAD)
    return held[0] if held else None


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def department_item(request, case_id: int):
    """One item a handler's departments hold or held: everything about it, and while
    it is theirs, the reply, return and on-the-spot forms."""
    departments = _handler_departments(request.user)
    case = selectors.department_case(user=request.user, case_id=case_id)
    if case is None:
        raise Http404
    held = _held_assignment(case, departments)
    is_lead = held is not None and held.role == Assignment.Role.LEAD
    deputy_suggestion, signers = None, []
    if case.kind == Case.Kind.DEPUTY:
        deputy_suggestion = (
            DeputySuggestion.objects.select_related("author", "congress").filter(pk=case.pk).first()
        )
        signers = services.deputy_suggestion_signers(case)
    # The lead's answer to a deputy suggestion: a result class and a reply per signer.
    deputy_reply = deputy_suggestion is not None and is_lead

    def reply_form(data=None) -> WorkspaceForm:
        if deputy_reply:
            return DeputyReplyForm(data, signers=signers)
        return ReplyForm(data, co_handler=not is_lead)

    forms: dict[str, WorkspaceForm] = {}
    if held is not None and case.status in Case.HANDLING_STATUSES:
        forms[ReplyForm.action] = reply_form()
        forms[ReturnForm.action] = ReturnForm()
        # Only the lead may close the matter by an answer on the spot; a co-handler's
        # word is an opinion for the lead. A deputy suggestion is answered in writing.
        if (
            is_lead
            and deputy_suggestion is None
            and Case.Status.ANSWERED_ON_SPOT in TRANSITIONS[case.status]
        ):
            forms[AnswerOnSpotForm.action] = AnswerOnSpotForm()

    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in DEPARTMENT_FORMS:
            return HttpResponseBadRequest()
        if action not in forms:
            messages.error(request, _("This item is no longer waiting for your department."))
            return redirect("suggestions:work_item", case_id=case.pk)
        if action == ReplyForm.action:
            form = reply_form(request.POST)
        else:
            form = DEPARTMENT_FORMS[action](request.POST)
        forms[action] = form
        if form.is_valid():
            try:
                message = _department_act(
                    action,
                    case=case,
                    department=held.department,
                    user=request.user,
                    form=form,
                )
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(request, message)
                return redirect("suggestions:work_item", case_id=case.pk)

    suggestion = (
        Suggestion.objects.select_related("station", "deputy")
        .prefetch_related("photos")
        .filter(pk=case.pk)
        .first()
        if case.kind == Case.Kind.CONSTITUENT
        else None
    )
    today = timezone.localdate()
    replies = case.replies.all()
    if deputy_suggestion is not None:
        # One reply per signing deputy: name whom each one is to.
        replies = Reply.objects.filter(case=case).select_related("department", "addressee")
    return render(
        request,
        "suggestions/workspace/department_item.html",
        {
            "case": case,
            "suggestion": suggestion,
            # The tracking code plus the phone tail is the constituent's credential for
            # tracking and rating: handlers get the item number instead.
            "reference": _reference(case, deputy_suggestion),
            # Deputies are public figures: their names, never their phones.
            "deputy_suggestion": deputy_suggestion,
            "cosigner_names": [deputy.name for deputy in signers[1:]],
            "deputy_reply": deputy_reply,
            "masked_name": mask_name(suggestion.name) if suggestion else "",
            "held": held,
            "deadline": deadline_state(held.due_date if held else None, today),
            "assignments": case.assignments.all(),
            "events": case.events.all(),
            "replies": replies,
            "reply_form": forms.get(ReplyForm.action),
            "return_form": forms.get(ReturnForm.action),
            "spot_form": forms.get(AnswerOnSpotForm.action),
            "section": "work",
        },
    )


# --- Deputies -------------------------------------------------------------------------


@dataclass(frozen=True)
class DeputyRow:
    suggestion: Suggestion
    waiting: bool


@never_cache
@login_required
@require_safe
def deputy_list(request):
    """Opinions constituents addressed to this deputy, newest first."""
    deputy = _linked_deputy(request.user)
    items = selectors.deputy_addressed(user=request.user)
    waiting_count = items.filter(WAITING_FOR_DEPUTY).count()
    waiting_only = request.GET.get("show") == "waiting"
    if waiting_only:
        items = items.filter(WAITING_FOR_DEPUTY)
    page = Paginator(items, DEPUTY_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [DeputyRow(suggestion=s, waiting=_is_waiting_for_deputy(s)) for s in page]
    return render(
        request,
        "suggestions/workspace/deputy_list.html",
        {
            "deputy": deputy,
            "page": page,
            "rows": rows,
            "waiting_count": waiting_count,
            "waiting_only": waiting_only,
            "section": "deputy",
        },
    )


DECIDED = {
    DeputyDecision.ON_SPOT: gettext_lazy("Your answer on the spot has been recorded."),
    DeputyDecision.PASS_ON: gettext_lazy("The opinion has been passed on for handling."),
    DeputyDecision.PROMOTE: gettext_lazy("The opinion is marked for a formal deputy suggestion."),
}


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def deputy_item(request, case_id: int):
    """One opinion addressed to this deputy, with the decision form while it waits."""
    deputy = _linked_deputy(request.user)
    suggestion = (
        selectors.deputy_addressed(user=request.user)
        .select_related("region")
        .prefetch_related("photos")
        .filter(pk=case_id)
        .first()
    )
    if suggestion is None:
        raise Http404
    waiting = _is_waiting_for_deputy(suggestion)
    form = DeputyDecisionForm() if waiting else None

    if request.method == "POST":
        if not waiting:
            messages.error(request, _("This opinion has already been dealt with."))
            return redirect("suggestions:deputy_item", case_id=suggestion.pk)
        form = DeputyDecisionForm(request.POST)
        if form.is_valid():
            decision = form.cleaned_data["decision"]
            try:
                services.suggestion_deputy_decide(
                    suggestion=suggestion,
                    user=request.user,
                    decision=decision,
                    text=form.cleaned_data["text"],
                )
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(request, DECIDED[decision])
                return redirect("suggestions:deputy_item", case_id=suggestion.pk)

    return render(
        request,
        "suggestions/workspace/deputy_item.html",
        {
            "deputy": deputy,
            "suggestion": suggestion,
            "masked_name": mask_name(suggestion.name),
            "waiting": waiting,
            "events": selectors.public_events(suggestion),
            "reply": selectors.public_reply(suggestion),
            "form": form,
            "section": "deputy",
        },
    )
