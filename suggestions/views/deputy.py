"""Deputies' pages for formal deputy suggestions (代表建议), made for a phone.

A deputy drafts a suggestion to a congress they sit in, invites fellow deputies to
co-sign, submits it to the office, follows its handling, reads the reply addressed to
them and rates it. Every write is a call into ``suggestions.deputy_suggestions`` or
``suggestions.services``; the reads go through ``deputy_suggestions_for``, which holds
only the deputy's own and co-signed suggestions.

Who may open what: only an account with the deputy role and a deputy record (403 for
anyone else); a suggestion the deputy neither leads nor was invited to is a 404.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, Subquery
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from liaison.pages import deputy_or_403
from stations.models import Deputy
from suggestions import deputy_suggestions as ds
from suggestions import selectors, services
from suggestions.deputy_forms import (
    EditForm,
    InviteForm,
    RateForm,
    RespondForm,
    SubmitForm,
    SuggestionForm,
)
from suggestions.models import (
    Assignment,
    Case,
    CoSigner,
    DeputySuggestion,
    FollowUp,
)
from suggestions.views.workspace import deadline_state
from suggestions.workspace_forms import WorkspaceForm

PAGE_SIZE = 25
S = Case.Status
TIME_LIMITS = {3: gettext_lazy("3 months"), 6: gettext_lazy("6 months")}


def number_of(suggestion: DeputySuggestion) -> str:
    """The office's number, e.g. 2026-001; empty until it accepts the suggestion."""
    return f"{suggestion.year}-{suggestion.number}" if suggestion.number else ""


# --- The list -------------------------------------------------------------------------


def _with_my_standing(queryset, deputy: Deputy):
    """Annotate each suggestion with the deputy's invitation, whether they rated the
    current reply, and whether it waits for them: all in the list's one query."""
    invitation = CoSigner.objects.filter(suggestion=OuterRef("pk"), deputy=deputy)
    rated = FollowUp.objects.filter(
        case=OuterRef("pk"), rater=deputy, round=OuterRef("reopen_count")
    )
    signer = Q(author=deputy) | Q(my_cosign=CoSigner.Status.CONFIRMED)
    waiting = (
        Q(author=deputy, status=S.DRAFT)
        | Q(my_cosign=CoSigner.Status.INVITED, status__in=(S.DRAFT, S.SUBMITTED))
        | (signer & Q(status=S.REPLIED, rated_by_me=False))
    )
    return queryset.annotate(
        my_cosign=Subquery(invitation.values("status")[:1]),
        rated_by_me=Exists(rated),
    ).annotate(waiting=ExpressionWrapper(waiting, output_field=BooleanField()))


@dataclass(frozen=True)
class Row:
    suggestion: DeputySuggestion
    number: str
    is_author: bool
    cosign_label: str
    deadline: str


@never_cache
@login_required
@require_safe
def suggestion_list(request):
    """The deputy's suggestions and those they were invited to sign, newest first."""
    deputy = deputy_or_403(request.user)
    items = _with_my_standing(ds.deputy_suggestions_for(user=request.user), deputy)
    waiting_count = items.filter(waiting=True).count()
    waiting_only = request.GET.get("show") == "waiting"
    if waiting_only:
        items = items.filter(waiting=True)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [
        Row(
            suggestion=suggestion,
            number=number_of(suggestion),
            is_author=suggestion.author_id == deputy.pk,
            cosign_label=(
                CoSigner.Status(suggestion.my_cosign).label if suggestion.my_cosign else ""
            ),
            deadline=deadline_state(suggestion.due_date if suggestion.is_open else None, today),
        )
        for suggestion in page
    ]
    return render(
        request,
        "suggestions/deputy/suggestion_list.html",
        {
            "deputy": deputy,
            "page": page,
            "rows": rows,
            "waiting_count": waiting_count,
            "waiting_only": waiting_only,
            "section": "suggestions",
        },
    )


# --- A new draft ----------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def suggestion_new(request):
    """Start a draft: to a congress the deputy sits in, optionally from opinions."""
    deputy = deputy_or_403(request.user)
    form = SuggestionForm(request.POST or None, deputy=deputy)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            suggestion = ds.deputy_suggestion_draft(
                user=request.user,
                congress=data["congress"],
                title=data["title"],
                content=data["content"],
                category=data["category"],
                timing=data["timing"],
                source_cases=data["source_cases"],
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _("The draft has been saved. Invite co-signers if you wish, then submit it."),
            )
            return redirect("suggestions:deputy_suggestion", pk=suggestion.pk)
    return render(
        request,
        "suggestions/deputy/suggestion_new.html",
        {
            "deputy": deputy,
            "form": form,
            "has_congress": form.fields["congress"].queryset.exists(),
            "has_sources": form.fields["source_cases"].queryset.exists(),
            "section": "suggestions",
        },
    )


# --- One suggestion -------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """What the deputy is to the suggestion, which decides what they may do."""

    is_author: bool
    invitation: CoSigner | None
    is_signer: bool
    rating: FollowUp | None  # their rating of the current reply, if any


def _standing(suggestion: DeputySuggestion, deputy: Deputy, cosigners: list[CoSigner]):
    is_author = suggestion.author_id == deputy.pk
    invitation = next((c for c in cosigners if c.deputy_id == deputy.pk), None)
    is_signer = is_author or (
        invitation is not None and invitation.status == CoSigner.Status.CONFIRMED
    )
    rating = (
        FollowUp.objects.filter(case=suggestion, rater=deputy, round=suggestion.reopen_count)
        .order_by("-id")
        .first()
        if is_signer and suggestion.status in (S.REPLIED, S.REOPENED, S.CLOSED)
        else None
    )
    return Standing(is_author, invitation, is_signer, rating)


ACTIONS: dict[str, type[WorkspaceForm]] = {
    form.action: form for form in (EditForm, InviteForm, SubmitForm, RespondForm, RateForm)
}


def _form_options(action: str, suggestion: DeputySuggestion, request) -> dict:
    if action == InviteForm.action:
        return {"suggestion": suggestion, "find": request.GET.get("find", "")}
    return {}


def _available(suggestion: DeputySuggestion, standing: Standing, request) -> dict:
    """The forms the deputy may use now, unbound."""
    forms: dict[str, WorkspaceForm] = {}
    if standing.is_author and suggestion.status == S.DRAFT:
        forms[EditForm.action] = EditForm(
            initial={
                "title": suggestion.title,
                "content": suggestion.content,
                "category": suggestion.category_id,
            }
        )
        forms[InviteForm.action] = InviteForm(
            **_form_options(InviteForm.action, suggestion, request)
        )
        forms[SubmitForm.action] = SubmitForm()
    if standing.invitation is not None and suggestion.status in (S.DRAFT, S.SUBMITTED):
        forms[RespondForm.action] = RespondForm()
    if standing.is_signer and suggestion.status == S.REPLIED and standing.rating is None:
        forms[RateForm.action] = RateForm()
    return forms


def _act(action: str, data: dict, *, suggestion, user, deputy) -> str:
    """Run one service; returns the success message."""
    if action == EditForm.action:
        ds.deputy_suggestion_edit(
            suggestion=suggestion,
            user=user,
            title=data["title"],
            content=data["content"],
            category=data["category"],
        )
        return _("The draft has been saved.")
    if action == InviteForm.action:
        invited = ds.deputy_suggestion_invite(
            suggestion=suggestion, user=user, deputies=data["deputies"]
        )
        return _("Deputies invited: %(count)s.") % {"count": invited}
    if action == SubmitForm.action:
        ds.deputy_suggestion_submit(suggestion=suggestion, user=user)
        return _("Submitted to the liaison office, which reviews and numbers it.")
    if action == RespondForm.action:
        confirm = data["answer"] == "confirm"
        ds.cosigner_respond(suggestion=suggestion, user=user, confirm=confirm)
        return _("You have co-signed this suggestion.") if confirm else _("You have declined.")
    services.case_rate(
        case=suggestion,
        rating=data["rating"],
        comment=data["comment"],
        method=FollowUp.Method.LINK,
        recorded_by=user,
        rater=deputy,
    )
    if data["rating"] == FollowUp.Rating.UNSATISFIED:
        return _("Your rating has been recorded. The suggestion will be handled again.")
    return _("Thank you: your rating has been recorded.")


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def suggestion_detail(request, pk: int):
    """One suggestion: its text, signers, handling and the reply to this deputy, with
    the actions the deputy may take on it now."""
    deputy = deputy_or_403(request.user)
    suggestion = ds.deputy_suggestion_for(user=request.user, pk=pk)
    if suggestion is None:
        raise Http404
    cosigners = list(
        CoSigner.objects.filter(suggestion=suggestion)
        .select_related("deputy")
        .order_by("invited_at", "id")
    )
    standing = _standing(suggestion, deputy, cosigners)
    forms = _available(suggestion, standing, request)

    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in ACTIONS:
            return HttpResponseBadRequest()
        if action not in forms:
            messages.error(request, _("This can no longer be done on this suggestion."))
            return redirect("suggestions:deputy_suggestion", pk=suggestion.pk)
        form = ACTIONS[action](request.POST, **_form_options(action, suggestion, request))
        forms[action] = form
        if form.is_valid():
            try:
                message = _act(
                    action,
                    form.cleaned_data,
                    suggestion=suggestion,
                    user=request.user,
                    deputy=deputy,
                )
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(request, message)
                return redirect("suggestions:deputy_suggestion", pk=suggestion.pk)

    confirmed = [c.deputy for c in cosigners if c.status == CoSigner.Status.CONFIRMED]
    handling = selectors.deputy_suggestion_handling(
        suggestion, deputy, is_signer=standing.is_signer
    )
    assignments = handling["assignments"]
    lead = next(
        (
            a
            for a in assignments
            if a.role == Assignment.Role.LEAD and a.status == Assignment.Status.ACTIVE
        ),
        None,
    )
    today = timezone.localdate()
    return render(
        request,
        "suggestions/deputy/suggestion_detail.html",
        {
            "deputy": deputy,
            "suggestion": suggestion,
            "number": number_of(suggestion),
            "standing": standing,
            "cosigners": cosigners,
            "signers": [suggestion.author, *confirmed],
            "sources": (
                list(suggestion.source_cases.order_by("received_at")) if standing.is_author else []
            ),
            "assignments": assignments,
            "deadline": deadline_state(suggestion.due_date if suggestion.is_open else None, today),
            "replies": handling["replies"],
            "my_ratings": handling["ratings"],
            "events": handling["events"],
            "forms": forms,
            "invite_form": forms.get(InviteForm.action),
            # Deputies Law art. 51: 3 months from assignment, 6 for wide-ranging ones;
            # re-handling after an unsatisfied rating has its own, local limit.
            "time_limit": TIME_LIMITS.get(lead.time_limit_months, "") if lead else "",
            "section": "suggestions",
        },
    )
