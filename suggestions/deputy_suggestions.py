"""Formal deputy suggestions (代表建议): the deputy's and the office's steps before the
shared handling machinery takes over (services.case_assign / case_reply / case_rate).

draft → (co-signers invited, confirm) → submitted → accepted and numbered by the office
(or returned to the draft with a reason) → assigned → replied per signer → rated.
"""

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison.models import Notification, User
from liaison.notifications import notification_create
from stations.models import Congress, Deputy, Membership
from suggestions import services
from suggestions.models import (
    CONTENT_MAX,
    Assignment,
    Case,
    Category,
    CoSigner,
    DeputySuggestion,
    Event,
    FollowUp,
    Reply,
    ResultClass,
    Suggestion,
    validate_not_markup,
)

S = Case.Status


def _deputy_of(user: User) -> Deputy:
    deputy = getattr(user, "deputy", None)
    if deputy is None or not deputy.is_active:
        raise ValidationError(_("Only deputies can do this."))
    return deputy


def _is_member(deputy: Deputy, congress: Congress) -> bool:
    return Membership.objects.filter(deputy=deputy, congress=congress).exists()


def _check_text(title: str, content: str) -> dict:
    errors: dict[str, list] = {}
    if not title:
        errors["title"] = [_("Give the suggestion a title.")]
    elif len(title) > 100:
        errors["title"] = [_("Keep the title under 100 characters.")]
    if not content:
        errors["content"] = [_("Write what you suggest and why.")]
    elif len(content) > CONTENT_MAX * 5:
        errors["content"] = [_("The text is longer than 10,000 characters.")]
    for field, value in (("title", title), ("content", content)):
        try:
            validate_not_markup(value)
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.messages)
    return errors


def deputy_suggestion_draft(
    *,
    user: User,
    congress: Congress,
    title: str,
    content: str,
    category: Category | None = None,
    timing: str = DeputySuggestion.Timing.INTERIM,
    source_cases: Iterable[Case] = (),
) -> DeputySuggestion:
    """A deputy starts a suggestion to a congress they sit in, optionally made from
    constituent opinions they marked for promotion."""
    author = _deputy_of(user)
    title, content = (title or "").strip(), (content or "").strip()
    errors = _check_text(title, content)
    if not _is_member(author, congress):
        errors["congress"] = [_("You are not a deputy to this congress.")]
    if congress.region_id is None:
        errors["congress"] = [_("This congress has no region; the office must set it first.")]
    sources = list(source_cases)
    for source in sources:
        suggestion = Suggestion.objects.filter(pk=source.pk).first()
        if (
            suggestion is None
            or suggestion.deputy_id != author.pk
            or suggestion.status != S.PROMOTED
        ):
            errors["source_cases"] = [_("Only opinions you marked for promotion can be used.")]
    if timing not in DeputySuggestion.Timing.values:
        errors["timing"] = [_("Choose when it is submitted.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        suggestion = DeputySuggestion.objects.create(
            region_id=congress.region_id,
            congress=congress,
            author=author,
            title=title,
            content=content,
            category=category,
            timing=timing,
            status=S.DRAFT,
            created_by=user,
        )
        suggestion.source_cases.set(sources)
        services._event(suggestion, Event.Kind.NOTE, actor=user, public=False, note=_("Drafted."))
    return suggestion


def deputy_suggestion_edit(
    *, suggestion: DeputySuggestion, user: User, title: str, content: str, category=None
) -> None:
    if _deputy_of(user).pk != suggestion.author_id:
        raise ValidationError(_("Only the lead deputy can change the draft."))
    if suggestion.status != S.DRAFT:
        raise ValidationError(_("Only a draft can be changed."))
    title, content = (title or "").strip(), (content or "").strip()
    errors = _check_text(title, content)
    if errors:
        raise ValidationError(errors)
    DeputySuggestion.objects.filter(pk=suggestion.pk, status=S.DRAFT).update(
        title=title, content=content, category=category
    )


def deputy_suggestion_invite(
    *, suggestion: DeputySuggestion, user: User, deputies: Iterable[Deputy]
) -> int:
    """The lead deputy invites co-signers (联名): deputies of the same congress."""
    author = _deputy_of(user)
    if author.pk != suggestion.author_id:
        raise ValidationError(_("Only the lead deputy can invite co-signers."))
    if suggestion.status != S.DRAFT:
        raise ValidationError(_("Co-signers are invited while it is a draft."))
    invited = 0
    with transaction.atomic():
        for deputy in deputies:
            if deputy.pk == author.pk:
                continue
            if not _is_member(deputy, suggestion.congress):
                raise ValidationError(
                    _("%(name)s is not a deputy to this congress.") % {"name": deputy.name}
                )
            _cosigner, created = CoSigner.objects.get_or_create(
                suggestion=suggestion, deputy=deputy
            )
            if created:
                invited += 1
                if deputy.user_id:
                    notification_create(
                        channel=Notification.Channel.INBOX,
                        kind="cosign",
                        subject=_("%(name)s asks you to co-sign: %(title)s")
                        % {"name": author.name, "title": suggestion.title},
                        recipient=deputy.user,
                        link=reverse("suggestions:deputy_suggestion", args=[suggestion.pk]),
                        dedupe_key=f"case:{suggestion.pk}:cosign:{deputy.pk}",
                    )
    return invited


def cosigner_respond(*, suggestion: DeputySuggestion, user: User, confirm: bool) -> None:
    """An invited deputy confirms or declines; possible until the office accepts it."""
    deputy = _deputy_of(user)
    with transaction.atomic():
        # Lock the suggestion first, as acceptance does: signatures close atomically
        # with the office's acceptance, so the signers cannot change afterwards.
        suggestion = DeputySuggestion.objects.select_for_update().get(pk=suggestion.pk)
        cosigner = (
            CoSigner.objects.select_for_update()
            .filter(suggestion=suggestion, deputy=deputy)
            .first()
        )
        if cosigner is None:
            raise ValidationError(_("You were not invited to sign this suggestion."))
        if suggestion.status not in (S.DRAFT, S.SUBMITTED):
            raise ValidationError(_("The office has accepted it; signatures are closed."))
        cosigner.status = CoSigner.Status.CONFIRMED if confirm else CoSigner.Status.DECLINED
        cosigner.responded_at = timezone.now()
        cosigner.save(update_fields=["status", "responded_at"])


def deputy_suggestion_submit(*, suggestion: DeputySuggestion, user: User) -> None:
    if _deputy_of(user).pk != suggestion.author_id:
        raise ValidationError(_("Only the lead deputy can submit it."))
    with transaction.atomic():
        locked = DeputySuggestion.objects.select_for_update().get(pk=suggestion.pk)
        locked.transition(S.SUBMITTED)
        locked.submitted_at = timezone.now()
        locked.office_note = ""
        locked.save(update_fields=["status", "submitted_at", "office_note"])
        services._event(locked, Event.Kind.RECEIVED, actor=user, public_text=_("Submitted."))
        services._notify_office(
            locked,
            kind="deputy_suggestion",
            subject=_("Deputy suggestion to review: %(title)s") % {"title": locked.title},
            key=f"case:{locked.pk}:submitted:{locked.submitted_at:%Y%m%d%H%M%S}",
        )


def _award_points(suggestion: DeputySuggestion) -> None:
    """An accepted suggestion earns each signer performance points, once. Awarded at
    acceptance, where signatures close, so late co-signers count and decliners do not."""
    from stations import points

    occurred_on = timezone.localtime(suggestion.submitted_at or timezone.now()).date()
    for deputy in services.deputy_suggestion_signers(suggestion):
        points.points_award(
            deputy=deputy,
            kind="suggestion_submitted",
            occurred_on=occurred_on,
            source_key=f"deputy-suggestion:{suggestion.pk}:{deputy.pk}",
            description=suggestion.title[:100],
        )


def deputy_suggestion_accept(*, suggestion: DeputySuggestion, user: User) -> str:
    """The office accepts a submitted suggestion and gives it the next number of its
    congress and year (e.g. 2026-015)."""
    with transaction.atomic():
        # Numbers are dealt one at a time per congress: lock the congress row.
        Congress.objects.select_for_update().get(pk=suggestion.congress_id)
        locked = DeputySuggestion.objects.select_for_update().get(pk=suggestion.pk)
        locked.transition(S.RECEIVED)
        year = timezone.localdate().year
        taken = DeputySuggestion.objects.filter(congress_id=locked.congress_id, year=year).exclude(
            number=""
        )
        locked.year = year
        locked.number = f"{taken.count() + 1:03d}"
        locked.accepted_at = timezone.now()
        locked.received_at = locked.accepted_at
        locked.save(update_fields=["status", "year", "number", "accepted_at", "received_at"])
        services._event(
            locked,
            Event.Kind.RECEIVED,
            actor=user,
            public_text=_("Accepted as No. %(number)s.") % {"number": f"{year}-{locked.number}"},
        )
        _award_points(locked)
        _tell_author(
            locked,
            _("Accepted as No. %(number)s: %(title)s")
            % {"number": f"{year}-{locked.number}", "title": locked.title},
        )
    return f"{year}-{locked.number}"


def deputy_suggestion_return(*, suggestion: DeputySuggestion, user: User, reason: str) -> None:
    """The office sends a submitted suggestion back, e.g. because it is not specific."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say what the deputy should change.")})
    with transaction.atomic():
        locked = DeputySuggestion.objects.select_for_update().get(pk=suggestion.pk)
        locked.transition(S.DRAFT)
        locked.office_note = reason[:1000]
        locked.save(update_fields=["status", "office_note"])
        services._event(locked, Event.Kind.SENT_BACK, actor=user, public_text=reason[:300])
        _tell_author(locked, _("Returned for changes: %(title)s") % {"title": locked.title})


def _tell_author(suggestion: DeputySuggestion, subject: str) -> None:
    if suggestion.author.user_id:
        notification_create(
            channel=Notification.Channel.INBOX,
            kind="deputy_suggestion",
            subject=subject,
            recipient=suggestion.author.user,
            link=reverse("suggestions:deputy_suggestion", args=[suggestion.pk]),
            dedupe_key=f"case:{suggestion.pk}:author:{timezone.now():%Y%m%d%H%M%S%f}",
        )


def deputy_suggestion_set_wide_ranging(
    *, suggestion: DeputySuggestion, user: User, reason: str
) -> None:
    """The office gives a wide-ranging or hard suggestion 6 months (art. 51); an
    assignment already running keeps its start and gets the longer limit."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why it needs 6 months.")})
    with transaction.atomic():
        locked = DeputySuggestion.objects.select_for_update().get(pk=suggestion.pk)
        if not locked.is_open and locked.status not in (S.DRAFT, S.SUBMITTED):
            raise ValidationError(_("The suggestion is no longer being handled."))
        locked.wide_ranging = True
        locked.wide_ranging_reason = reason[:200]
        locked.save(update_fields=["wide_ranging", "wide_ranging_reason"])
        # Re-handling after an unsatisfied rating keeps its own limit (2 months): only
        # the first handling's statutory limit grows to 6 months.
        first_handling = locked.reopen_count == 0 and locked.status in (S.RECEIVED, S.ASSIGNED)
        running = locked.assignments.filter(status=Assignment.Status.ACTIVE)
        for assignment in running if first_handling else running.none():
            start = timezone.localtime(assignment.assigned_at).date()
            assignment.due_date = services.add_months(start, 6)
            assignment.time_limit_months = 6
            assignment.save(update_fields=["due_date", "time_limit_months"])
            if assignment.role == Assignment.Role.LEAD:
                locked.due_date = assignment.due_date
                locked.save(update_fields=["due_date"])
        services._event(
            locked,
            Event.Kind.NOTE,
            actor=user,
            public=False,
            note=_("6 months: %(reason)s") % {"reason": reason},
        )


def deputy_suggestion_flag_priority(
    *, suggestion: DeputySuggestion, user: User, leader: str
) -> None:
    """重点督办: a leader supervises this suggestion's handling in person."""
    leader = (leader or "").strip()
    if not leader:
        raise ValidationError({"leader": _("Name the supervising leader.")})
    DeputySuggestion.objects.filter(pk=suggestion.pk).update(
        priority=True, supervising_leader=leader[:50]
    )
    services._event(
        suggestion,
        Event.Kind.NOTE,
        actor=user,
        public_text=_("Under priority supervision by %(leader)s.") % {"leader": leader[:50]},
    )


def reviews_due(*, today: dt.date | None = None) -> int:
    """Remind the office (and the lead department) of B-class items due for review."""
    today = today or timezone.localdate()
    sent = 0
    due = DeputySuggestion.objects.filter(review_due__lte=today).select_related("congress")
    for suggestion in due.iterator():
        key = f"case:{suggestion.pk}:review:{suggestion.review_due}"
        sent += services._notify_office(
            suggestion,
            kind="review",
            subject=_("Time to review (回头看): %(title)s") % {"title": suggestion.title},
            key=key,
        )
    return sent


# --- Reads --------------------------------------------------------------------------


def deputy_suggestions_for(*, user: User) -> QuerySet[DeputySuggestion]:
    """The suggestions a deputy leads or was invited to sign; nobody else's."""
    deputy = getattr(user, "deputy", None)
    if deputy is None:
        return DeputySuggestion.objects.none()
    invited = CoSigner.objects.filter(suggestion=OuterRef("pk"), deputy=deputy)
    return (
        DeputySuggestion.objects.filter(Q(author=deputy) | Exists(invited))
        .select_related("congress", "author", "category", "result_class")
        .order_by("-received_at")
    )


def deputy_suggestion_for(*, user: User, pk: int) -> DeputySuggestion | None:
    return deputy_suggestions_for(user=user).filter(pk=pk).first()


def annual_report(*, congress: Congress, year: int) -> dict:
    """Per congress and year: counts by result class, on-time and satisfaction rates,
    and the priority suggestions — one selector for the page and the Excel file."""
    items = DeputySuggestion.objects.filter(congress=congress, year=year).exclude(number="")
    total = items.count()
    by_class = {
        row["result_class__code"] or "": row["n"]
        for row in items.values("result_class__code").annotate(n=Count("pk"))
    }
    classes = [
        {"code": rc.code, "name": rc.name, "count": by_class.get(rc.code, 0)}
        for rc in ResultClass.objects.all()
    ]
    replied = items.filter(replied_at__isnull=False)
    # On time: the first reply came by the due date in force then (re-handling after an
    # unsatisfied rating moves the item's due date, not this).
    first_replies = {}
    for case_id, created_at, due in (
        Reply.objects.filter(case__in=replied, addressee__isnull=True)
        .order_by("created_at", "id")
        .values_list("case_id", "created_at", "due_date")
    ):
        first_replies.setdefault(case_id, (created_at, due))
    on_time = sum(
        1
        for created_at, due in first_replies.values()
        if due is None or timezone.localtime(created_at).date() <= due
    )
    rated = FollowUp.objects.filter(case__in=items).exclude(rating=FollowUp.Rating.NOT_RATED)
    satisfied = rated.filter(rating__in=(FollowUp.Rating.SATISFIED, FollowUp.Rating.BASICALLY))
    rated_count, satisfied_count = rated.count(), satisfied.count()
    return {
        "congress": congress,
        "year": year,
        "total": total,
        "replied": replied.count(),
        "unreplied": total - replied.count(),
        "classes": classes,
        "on_time": on_time,
        "on_time_rate": round(100 * on_time / replied.count(), 1) if replied.count() else None,
        "rated": rated_count,
        "satisfied": satisfied_count,
        "satisfaction_rate": (
            round(100 * satisfied_count / rated_count, 1) if rated_count else None
        ),
        "priority": list(
            items.filter(priority=True).select_related("author", "result_class").order_by("number")
        ),
    }
