"""Every write to suggestions goes through here: web form, API, admin, workspace, tasks.

The handling machinery (assign → deadline → reply → follow-up → reopen) works on
``Case``, so constituent opinions and deputy suggestions share it.
"""

import calendar
import datetime as dt
import logging
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, Exists, OuterRef, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison import regions, workdays
from liaison.crypto import normalise_phone
from liaison.images import image_clean
from liaison.models import Notification, OutboxMessage, User
from liaison.notifications import absolute_link, notification_create, office_users_for
from liaison.outbox import outbox_enqueue
from liaison.refcache import RefCache
from suggestions.models import (
    CONTENT_MAX,
    Assignment,
    Case,
    Category,
    DeadlineNotice,
    Department,
    Event,
    FollowUp,
    Photo,
    Reply,
    RoutingRule,
    Suggestion,
    validate_not_markup,
)

logger = logging.getLogger(__name__)

MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
# A phone photo is 12–50 megapixels; decoding costs about 4 bytes a pixel.
MAX_PHOTO_PIXELS = 50_000_000
MAX_PHOTO_SIDE = 12_000
RATE_SALT = "suggestions.rate"

S = Case.Status


# --- Intake -----------------------------------------------------------------------


def photo_clean(upload: UploadedFile) -> ContentFile:
    """Check a photo by decoding it and re-encode it as a JPEG without EXIF (which holds
    GPS); liaison.images does the work for every upload of the site.

    Raises ValidationError for files over 5 MB, files that are not images, and images
    too large to decode safely.
    """
    return image_clean(
        upload,
        max_bytes=MAX_PHOTO_BYTES,
        stem="photo",
        formats=PHOTO_FORMATS,
        max_pixels=MAX_PHOTO_PIXELS,
        max_side=MAX_PHOTO_SIDE,
    )


def suggestion_submit(
    *,
    channel: str,
    category: Category | None,
    title: str,
    content: str,
    station=None,
    deputy=None,
    region=None,
    name: str = "",
    phone: str = "",
    do_not_contact: bool = False,
    consent: bool,
    photos: Sequence[UploadedFile] = (),
    submission_key: str | None = None,
    actor: User | None = None,
    route: bool = True,
) -> Suggestion:
    """Accept an opinion from any channel (受理随时) and queue its routing.

    The row, its photos, the timeline event, the receipt SMS and the routing task are
    written in one transaction; the broker is only touched after commit, so a dead or
    silent broker neither loses nor slows a submission. ``submission_key`` makes a
    double submission (a double click, a retried API call) return the first one.
    """
    if submission_key:
        existing = Suggestion.objects.filter(submission_key=submission_key).first()
        if existing:
            return existing

    phone = normalise_phone(phone)
    errors: dict[str, list] = {}
    region = region or (station.region if station else None) or (deputy.region if deputy else None)
    if station is not None and not station.is_active:
        errors.setdefault("station", []).append(_("This station is closed."))
    if deputy is not None and not deputy.is_active:
        errors.setdefault("deputy", []).append(_("This deputy no longer takes opinions here."))
    if region is None and "station" not in errors:
        errors.setdefault("station", []).append(_("Choose the station the opinion is for."))
    # A 12345 work order may come in a category we do not have: the office sorts it.
    uncategorised_ok = channel == Suggestion.Channel.HOTLINE and category is None
    if not uncategorised_ok and (category is None or not category.is_active):
        errors.setdefault("category", []).append(_("Choose a category."))
    if not consent:
        errors.setdefault("consent", []).append(
            _("Please read and accept the personal information notice.")
        )
    if len(photos) > MAX_PHOTOS:
        errors.setdefault("photos", []).append(_("Attach at most 3 photos."))
    cleaned_photos = []
    for upload in photos[:MAX_PHOTOS]:
        try:
            cleaned_photos.append(photo_clean(upload))
        except ValidationError as exc:
            errors.setdefault("photos", []).extend(exc.messages)

    suggestion = Suggestion(
        channel=channel,
        region=region,
        category=category,
        station=station,
        deputy=deputy,
        title=(title or "").strip(),
        content=(content or "").strip(),
        name=(name or "").strip(),
        phone=phone,
        do_not_contact=do_not_contact,
        consent_at=timezone.now() if consent else None,
        consent_version=settings.LIAISON_PRIVACY_NOTICE_VERSION,
        submission_key=submission_key or None,
    )
    for field in ("title", "content", "name"):
        try:
            validate_not_markup(getattr(suggestion, field))
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.messages)
    try:
        # The unique tracking code and submission key and the check constraints are
        # the database's to enforce (the key is looked up above): checking them here
        # would cost two queries a submission and still race.
        suggestion.full_clean(
            exclude=["region", "category", "station", "deputy", "kind"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(
                m for m in messages if m not in errors.get(field, [])
            )
    if not phone and channel in (Suggestion.Channel.WEB, Suggestion.Channel.API):
        errors.setdefault("phone", []).append(_("Enter your mobile number for the receipt."))
    if errors:
        raise ValidationError(errors)

    try:
        with transaction.atomic():
            suggestion.save()
            for cleaned in cleaned_photos:
                Photo.objects.create(suggestion=suggestion, image=cleaned)
            _event(
                suggestion,
                Event.Kind.RECEIVED,
                actor=actor,
                public_text=_("Received through %(channel)s.")
                % {"channel": suggestion.get_channel_display()},
            )
            if phone and not do_not_contact:
                notification_create(
                    channel=Notification.Channel.SMS,
                    kind="receipt",
                    subject=_("Receipt"),
                    body=_(
                        "Your opinion “%(title)s” has been received. Tracking code "
                        "%(code)s; follow it at %(link)s"
                    )
                    % {
                        "title": suggestion.title[:20],
                        "code": suggestion.tracking_code,
                        "link": absolute_link(reverse("suggestions:track")),
                    },
                    address=phone,
                    dedupe_key=f"case:{suggestion.pk}:receipt",
                )
            if deputy is not None:
                # Addressed to a deputy: the deputy answers, passes on or promotes it
                # within LIAISON_DEPUTY_DECISION_WORKDAYS, else the sweep passes it on.
                _event(
                    suggestion,
                    Event.Kind.AWAITING_DEPUTY,
                    public_text=_("Passed to deputy %(name)s.") % {"name": deputy.name},
                )
                if deputy.user_id:
                    notification_create(
                        channel=Notification.Channel.INBOX,
                        kind="addressed",
                        subject=_("A constituent wrote to you: %(title)s")
                        % {"title": suggestion.title},
                        recipient=deputy.user,
                        link=reverse("suggestions:deputy_item", args=[suggestion.pk]),
                        dedupe_key=f"case:{suggestion.pk}:addressed",
                    )
                else:
                    # A deputy without an account cannot decide here: the office tells
                    # the deputy, and the item is handled like any other meanwhile.
                    Suggestion.objects.filter(pk=suggestion.pk).update(
                        deputy_decision=DeputyDecision.NO_ACCOUNT
                    )
                    suggestion.deputy_decision = DeputyDecision.NO_ACCOUNT
                    _notify_office(
                        suggestion,
                        kind="addressed",
                        subject=_("For deputy %(name)s (no account): %(title)s")
                        % {"name": deputy.name, "title": suggestion.title},
                        key=f"case:{suggestion.pk}:addressed-office",
                    )
                    if route:
                        _enqueue_routing(suggestion)
            elif route:
                _enqueue_routing(suggestion)
    except IntegrityError:
        # Two requests with one submission key raced; the other one won.
        if submission_key:
            existing = Suggestion.objects.filter(submission_key=submission_key).first()
            if existing:
                return existing
        raise
    return suggestion


def _enqueue_routing(case: Case) -> None:
    outbox_enqueue(task="suggestions.tasks.route_case", kwargs={"case_id": case.pk})


def _event(case: Case, kind: str, *, actor=None, public_text="", note="", public=True, **data):
    return Event.objects.create(
        case=case,
        kind=kind,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        public_text=str(public_text)[:300],
        note=note,
        is_public=public,
        data={key: str(value) for key, value in data.items()},
    )


# --- Routing and assignment (交办及时) ----------------------------------------------


def routing_rule_for(
    *, region_code: str, category: Category | None = None, category_id: int | None = None
) -> RoutingRule | None:
    """The most specific active rule for a region and category.

    Rules on the region or any region above it compete; the nearest region wins, and
    at the same region a rule for the category beats the catch-all rule.

    Answers are kept per process (``liaison.refcache``): an edit of a rule or department
    is seen at once where it was made and by the workers within
    ``LIAISON_REFCACHE_SECONDS``. The rule returned is shared: read it, do not change it.
    """
    if category is not None:
        category_id = category.pk
    return _routing_rules.get((region_code, category_id))


def _routing_rule_uncached(key: tuple[str, int | None]) -> RoutingRule | None:
    region_code, category_id = key
    chain = regions.ancestors_of(region_code)
    candidates = RoutingRule.objects.filter(
        region_id__in=chain, is_active=True, department__is_active=True
    ).filter(
        Q(category_id=category_id) | Q(category__isnull=True)
        if category_id
        else Q(category__isnull=True)
    )
    best = sorted(
        candidates.select_related("department"),
        key=lambda rule: (chain.index(rule.region_id), rule.category_id is None),
    )
    return best[0] if best else None


_routing_rules = RefCache(
    "routing-rules",
    _routing_rule_uncached,
    watch=["suggestions.RoutingRule", "suggestions.Department", "liaison.Region"],
)


def case_route(*, case_id: int) -> Assignment | None:
    """Route a received item by the rules; idempotent (a second run changes nothing).

    Returns the new lead assignment, or None when the item was already routed, waits
    for its deputy, or has no rule and waits for the township office to triage it.
    """
    with transaction.atomic():
        # Lock the case: the after-commit publish and the beat relay may deliver the
        # same routing task twice, possibly to two workers at once.
        case = Case.objects.select_for_update().filter(pk=case_id).first()
        if case is None or case.status != S.RECEIVED:
            return None
        if case.assignments.filter(status=Assignment.Status.ACTIVE).exists():
            return None
        suggestion = Suggestion.objects.filter(pk=case.pk).first()
        if suggestion and suggestion.deputy_id and not suggestion.deputy_decision:
            return None
        case.suggestion = suggestion  # spares the hotline's look-up on every event
        rule = routing_rule_for(region_code=case.region_id, category_id=case.category_id)
        if rule is None:
            if not case.events.filter(kind=Event.Kind.AWAITING_TRIAGE).exists():
                _event(
                    case,
                    Event.Kind.AWAITING_TRIAGE,
                    public_text=_("The liaison office is choosing who will handle it."),
                )
                _notify_office(
                    case,
                    kind="triage",
                    subject=_("To assign: %(title)s") % {"title": case.title},
                    key=f"case:{case.pk}:triage:{case.reopen_count}",
                )
            return None
        return _assign(
            case,
            lead=rule.department,
            co_handlers=(),
            time_limit_days=rule.time_limit_days,
            actor=None,
            event_kind=Event.Kind.ROUTED,
        )


def case_assign(
    *,
    case: Case,
    lead: Department,
    co_handlers: Iterable[Department] = (),
    time_limit_days: int | None = None,
    actor: User | None = None,
    reason: str = "",
) -> Assignment:
    """Staff assign or re-assign an item to a lead department and co-handlers (主办/协办)."""
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.status not in (S.RECEIVED, S.ASSIGNED, S.REOPENED):
            raise ValidationError(
                _("An item that is “%(status)s” cannot be assigned.")
                % {"status": case.get_status_display()}
            )
        return _assign(
            case,
            lead=lead,
            co_handlers=co_handlers,
            time_limit_days=time_limit_days or settings.LIAISON_DEFAULT_TIME_LIMIT,
            actor=actor,
            event_kind=Event.Kind.REASSIGNED if case.assignments.exists() else Event.Kind.ASSIGNED,
            reason=reason,
        )


def _check_department(case: Case, department: Department) -> None:
    if not department.is_active:
        raise ValidationError(_("%(name)s is inactive.") % {"name": department})
    if department.region_id not in regions.ancestors_of(case.region_id):
        # A township item goes to that township or a body above it, never sideways.
        raise ValidationError(
            _("%(name)s does not serve the item's region.") % {"name": department}
        )


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months later, or the month's last day if it has
    no such day (31 January + 3 months = 30 April)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def deputy_suggestion_months(case: Case) -> int:
    """Deputies Law art. 51: reply within 3 months of assignment, 6 for wide-ranging or
    hard suggestions (flagged by the office with a reason)."""
    child = getattr(case, "deputysuggestion", None)
    return 6 if child is not None and child.wide_ranging else 3


def _deadline(case: Case, time_limit_days: int) -> tuple[dt.date, int | None, int | None]:
    """Due date, working days, months: constituent items count Chinese working days,
    deputy suggestions calendar months."""
    today = timezone.localdate()
    if case.kind == Case.Kind.DEPUTY:
        months = deputy_suggestion_months(case)
        return add_months(today, months), None, months
    return workdays.add_workdays(today, time_limit_days), time_limit_days, None


def _assign(case, *, lead, co_handlers, time_limit_days, actor, event_kind, reason=""):
    co_handlers = [d for d in dict.fromkeys(co_handlers) if d.pk != lead.pk]
    for department in (lead, *co_handlers):
        _check_department(case, department)
    due, time_limit_days, time_limit_months = _deadline(case, time_limit_days)
    # Withdraw what was assigned before: a re-assignment starts a fresh time limit.
    case.assignments.filter(status=Assignment.Status.ACTIVE).update(
        status=Assignment.Status.WITHDRAWN
    )
    created = []
    for department, role in [(lead, Assignment.Role.LEAD)] + [
        (d, Assignment.Role.CO) for d in co_handlers
    ]:
        created.append(
            Assignment.objects.create(
                case=case,
                department=department,
                role=role,
                time_limit_days=time_limit_days,
                time_limit_months=time_limit_months,
                due_date=due,
                assigned_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
        )
    if case.status == S.REOPENED:
        pass  # re-handling keeps its status until the new reply
    elif case.status != S.ASSIGNED:
        case.transition(S.ASSIGNED)
    case.due_date = due
    case.save(update_fields=["status", "due_date"])
    names = "、".join(d.name for d in (lead, *co_handlers))
    _event(
        case,
        event_kind,
        actor=actor,
        public_text=_("Assigned to %(names)s, to be handled by %(due)s.")
        % {"names": names, "due": f"{due:%Y-%m-%d}"},
        note=reason,
        lead=lead.pk,
        co=",".join(str(d.pk) for d in co_handlers),
    )
    for assignment in created:
        _notify_department(
            assignment.department,
            kind="assigned",
            subject=_("New item, due %(due)s: %(title)s")
            % {"due": f"{due:%Y-%m-%d}", "title": case.title},
            case=case,
            key=f"assignment:{assignment.pk}:assigned",
        )
    return created[0]


# --- Department handling (办理限时, 答复定时) ---------------------------------------


def _active_assignment(case: Case, department: Department) -> Assignment:
    assignment = (
        case.assignments.select_for_update()
        .filter(department=department, status=Assignment.Status.ACTIVE)
        .first()
    )
    if assignment is None:
        raise ValidationError(_("This item is not assigned to your department."))
    return assignment


def case_reply(
    *,
    case: Case,
    department: Department | None,
    author: User | None,
    public_text: str,
    internal_note: str = "",
    result_class=None,
    per_deputy: dict[int, str] | None = None,
) -> Reply:
    """A department replies. The lead's reply answers the item and starts the follow-up;
    a co-handler's reply is an opinion for the lead and the office.

    A deputy suggestion's lead reply carries a result class and one text per signing
    deputy (``per_deputy``: deputy id → text); ``public_text`` is then the summary.
    """
    public_text = (public_text or "").strip()
    if case.kind == Case.Kind.DEPUTY and per_deputy and not public_text:
        public_text = next(iter(per_deputy.values()), "").strip()
    if not public_text:
        raise ValidationError({"public_text": _("Write the reply the constituent will read.")})
    if len(public_text) > CONTENT_MAX:
        raise ValidationError({"public_text": _("The reply is longer than 2,000 characters.")})
    validate_not_markup(public_text)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.status not in Case.HANDLING_STATUSES:
            raise ValidationError(
                _("An item that is “%(status)s” cannot be replied to.")
                % {"status": case.get_status_display()}
            )
        assignment = _active_assignment(case, department)
        if case.kind == Case.Kind.DEPUTY and assignment.role == Assignment.Role.LEAD:
            _check_deputy_replies(case, per_deputy or {}, result_class)
        assignment.status = Assignment.Status.REPLIED
        assignment.save(update_fields=["status"])
        if case.kind == Case.Kind.DEPUTY and assignment.role == Assignment.Role.LEAD:
            child = case.deputysuggestion
            child.result_class = result_class
            child.save(update_fields=["result_class"])
            for deputy_id, text in per_deputy.items():
                Reply.objects.create(
                    case=case,
                    department=department,
                    author=author,
                    addressee_id=deputy_id,
                    public_text=text.strip(),
                    result_class=result_class.code,
                    due_date=assignment.due_date,
                )
        reply = Reply.objects.create(
            case=case,
            department=department,
            author=author,
            public_text=public_text if assignment.role == Assignment.Role.LEAD else "",
            internal_note=internal_note
            if assignment.role == Assignment.Role.LEAD
            else ("\n".join(filter(None, [public_text, internal_note]))),
            result_class=getattr(result_class, "code", result_class or ""),
            due_date=assignment.due_date,
        )
        if assignment.role == Assignment.Role.CO:
            _event(
                case,
                Event.Kind.NOTE,
                actor=author,
                public=False,
                note=_("Co-handler %(name)s: %(text)s") % {"name": department, "text": public_text},
            )
            return reply
        case.transition(S.REPLIED)
        case.replied_at = timezone.now()
        case.save(update_fields=["status", "replied_at"])
        _close_out_co_handlers(case)
        _event(
            case,
            Event.Kind.REPLIED,
            actor=author,
            public_text=_("%(name)s replied.") % {"name": department},
            note=internal_note,
        )
        _after_reply(case)
    return reply


def _check_deputy_replies(case: Case, per_deputy: dict[int, str], result_class) -> None:
    from suggestions.models import ResultClass

    signers = {deputy.pk for deputy in deputy_suggestion_signers(case)}
    errors = {}
    if not isinstance(result_class, ResultClass) or not result_class.is_active:
        errors["result_class"] = [_("Choose the result class.")]
    missing = signers - {pk for pk, text in per_deputy.items() if (text or "").strip()}
    if missing or set(per_deputy) - signers:
        errors["per_deputy"] = [_("Write one reply to each signing deputy.")]
    for text in per_deputy.values():
        if len(text or "") > CONTENT_MAX:
            errors["per_deputy"] = [_("The reply is longer than 2,000 characters.")]
        validate_not_markup(text or "")
    if errors:
        raise ValidationError(errors)


def deputy_suggestion_signers(case: Case) -> list:
    """The lead deputy and the co-signers who confirmed: each gets a reply and rates it."""
    from stations.models import Deputy
    from suggestions.models import CoSigner

    child = case.deputysuggestion
    confirmed = CoSigner.objects.filter(suggestion=child, status=CoSigner.Status.CONFIRMED)
    return [
        child.author,
        *Deputy.objects.filter(pk__in=confirmed.values("deputy_id")).order_by("code"),
    ]


def _close_out_co_handlers(case: Case) -> None:
    """The lead has answered: co-handlers' shares end with it, so no reminder or
    overdue notice chases them, and re-handling after an unsatisfied rating goes to
    the lead alone."""
    case.assignments.filter(status=Assignment.Status.ACTIVE, role=Assignment.Role.CO).update(
        status=Assignment.Status.WITHDRAWN
    )


def _after_reply(case: Case) -> None:
    """Tell the constituent (and every merged constituent) and send the rating link;
    for a deputy suggestion, tell each signing deputy."""
    if case.kind == Case.Kind.DEPUTY:
        for deputy in deputy_suggestion_signers(case):
            if deputy.user_id:
                notification_create(
                    channel=Notification.Channel.INBOX,
                    kind="rate",
                    subject=_("Your suggestion was answered; please rate it: %(title)s")
                    % {"title": case.title},
                    recipient=deputy.user,
                    link=reverse("suggestions:deputy_suggestion", args=[case.pk]),
                    dedupe_key=f"case:{case.pk}:rate:{case.reopen_count}:d{deputy.pk}",
                )
        return
    suggestion = Suggestion.objects.filter(pk=case.pk).first()
    if suggestion and suggestion.phone and not suggestion.do_not_contact:
        notification_create(
            channel=Notification.Channel.SMS,
            kind="rate",
            subject=_("Reply and rating"),
            body=_(
                "Your opinion %(code)s has a reply. Read it and tell us if you are "
                "satisfied: %(link)s"
            )
            % {"code": suggestion.tracking_code, "link": rating_link(case)},
            address=suggestion.phone,
            dedupe_key=f"case:{case.pk}:rate:{case.reopen_count}",
        )
    _tell_merged(case)


def _tell_merged(case: Case, *, text: str = "") -> None:
    """Every constituent whose opinion was merged into ``case`` hears how it ended:
    its reply (on their tracking page), or why it cannot be done."""
    for merged in Suggestion.objects.filter(merged_into=case):
        if text:
            _event(merged, Event.Kind.REJECTED, public_text=text[:300])
        if not merged.phone or merged.do_not_contact:
            continue
        link = absolute_link(reverse("suggestions:track") + f"?code={merged.tracking_code}")
        body = (
            _("Your opinion %(code)s cannot be handled: %(text)s")
            % {"code": merged.tracking_code, "text": text[:60]}
            if text
            else _("Your opinion %(code)s has a reply: %(link)s")
            % {"code": merged.tracking_code, "link": link}
        )
        notification_create(
            channel=Notification.Channel.SMS,
            kind="merged_reply",
            subject=_("Reply"),
            body=body,
            address=merged.phone,
            dedupe_key=f"case:{merged.pk}:merged-reply:{case.pk}:{case.reopen_count}",
        )


def case_return(*, case: Case, department: Department, user: User, reason: str) -> None:
    """A department asks to return a mis-assigned item: it goes back to the office."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the item is not yours to handle.")})
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        assignment = _active_assignment(case, department)
        assignment.status = Assignment.Status.RETURNED
        assignment.return_reason = reason
        assignment.save(update_fields=["status", "return_reason"])
        if assignment.role == Assignment.Role.LEAD:
            if case.status == S.ASSIGNED:
                case.transition(S.RECEIVED)  # back in the office's triage queue
            # A reopened item stays reopened while it waits for a new lead.
            case.due_date = None
            case.save(update_fields=["status", "due_date"])
        _event(
            case,
            Event.Kind.RETURNED,
            actor=user,
            public_text=_("Being re-assigned to the right department."),
            note=reason,
            department=department.pk,
        )
        _notify_office(
            case,
            kind="returned",
            subject=_("%(name)s returned: %(title)s") % {"name": department, "title": case.title},
            key=f"assignment:{assignment.pk}:returned",
        )


def case_answer_on_spot(
    *, case: Case, user: User, public_text: str, department: Department | None = None
) -> Reply:
    """Record that the matter was answered on the spot (当场答复), by a deputy or a department."""
    public_text = (public_text or "").strip()
    if not public_text:
        raise ValidationError({"public_text": _("Write down the answer that was given.")})
    validate_not_markup(public_text)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if department is not None:
            assignment = _active_assignment(case, department)
            if assignment.role != Assignment.Role.LEAD:
                # A co-handler gives its opinion to the lead; it cannot end the item.
                raise ValidationError(_("Only the lead department can answer the item."))
            assignment.status = Assignment.Status.REPLIED
            assignment.save(update_fields=["status"])
        elif case.assignments.filter(status=Assignment.Status.ACTIVE).exists():
            # Once assigned, the answer is the department's to give.
            raise ValidationError(_("This item is with a department; it answers it."))
        case.transition(S.ANSWERED_ON_SPOT)
        case.replied_at = timezone.now()
        case.save(update_fields=["status", "replied_at"])
        _close_out_co_handlers(case)
        reply = Reply.objects.create(
            case=case,
            department=department,
            author=user,
            public_text=public_text,
            due_date=case.due_date,
        )
        _event(
            case, Event.Kind.ANSWERED_ON_SPOT, actor=user, public_text=_("Answered on the spot.")
        )
        _after_reply(case)
    return reply


# --- Follow-up (回访适时) -----------------------------------------------------------


def rating_token(case: Case) -> str:
    return signing.Signer(salt=RATE_SALT).sign(f"{case.pk}-{case.reopen_count}")


def rating_link(case: Case) -> str:
    return absolute_link(reverse("suggestions:rate", args=[rating_token(case)]))


def case_for_rating_token(token: str) -> Case | None:
    """The case a rating link is for, if it is genuine and still waiting for its rating."""
    try:
        value = signing.Signer(salt=RATE_SALT).unsign(token)
        case_id, round_ = (int(part) for part in value.split("-"))
    except (signing.BadSignature, ValueError):
        return None
    case = Case.objects.filter(pk=case_id).first()
    if case is None or case.reopen_count != round_:
        return None
    return case


def case_rate(
    *,
    case: Case,
    rating: str,
    comment: str = "",
    method: str = FollowUp.Method.LINK,
    recorded_by: User | None = None,
    rater=None,
) -> FollowUp:
    """Record a rating. Unsatisfied reopens with a new time limit.

    A constituent rates once per round. For a deputy suggestion each signing deputy
    (``rater``) rates; any "unsatisfied" starts re-handling, and the item closes once
    every signer has rated.
    """
    if rating not in FollowUp.Rating.values or rating == FollowUp.Rating.NOT_RATED:
        raise ValidationError(
            {"rating": _("Choose satisfied, basically satisfied or unsatisfied.")}
        )
    comment = (comment or "").strip()
    validate_not_markup(comment)
    if len(comment) > 500:
        raise ValidationError({"comment": _("Keep the comment under 500 characters.")})
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.status not in (S.REPLIED, S.ANSWERED_ON_SPOT):
            raise ValidationError(_("This item is not waiting for a rating."))
        signers = deputy_suggestion_signers(case) if case.kind == Case.Kind.DEPUTY else []
        if signers and (rater is None or rater.pk not in {d.pk for d in signers}):
            raise ValidationError(_("Only the deputies who signed it rate this reply."))
        # The unique constraint says the same on PostgreSQL; SQLite cannot enforce it
        # with a NULL rater, and the case row lock makes this check race-free.
        if case.follow_ups.filter(
            round=case.reopen_count, rater=rater if signers else None
        ).exists():
            raise ValidationError(_("This reply has already been rated."))
        try:
            with transaction.atomic():
                follow_up = FollowUp.objects.create(
                    case=case,
                    round=case.reopen_count,
                    rating=rating,
                    method=method,
                    comment=comment,
                    recorded_by=recorded_by,
                    rater=rater if signers else None,
                )
        except IntegrityError:
            raise ValidationError(_("This reply has already been rated.")) from None
        _event(
            case,
            Event.Kind.RATED,
            actor=recorded_by,
            public_text=_("Rated: %(rating)s.") % {"rating": follow_up.get_rating_display()},
            note=comment,
            method=method,
        )
        if rating == FollowUp.Rating.UNSATISFIED:
            case.satisfaction = rating
            _reopen(case, actor=recorded_by, comment=comment)
        elif signers:
            ratings = list(
                case.follow_ups.filter(round=case.reopen_count).values_list("rating", flat=True)
            )
            if len(ratings) >= len(signers):
                case.satisfaction = _overall(ratings)
                _close(case, actor=recorded_by, outcome=Case.Outcome.HANDLED)
        else:
            case.satisfaction = rating
            _close(case, actor=recorded_by, outcome=Case.Outcome.HANDLED)
    return follow_up


def _overall(ratings: list[str]) -> str:
    """Several signers' ratings as one: the least satisfied one counts."""
    order = [
        FollowUp.Rating.UNSATISFIED,
        FollowUp.Rating.BASICALLY,
        FollowUp.Rating.SATISFIED,
        FollowUp.Rating.NOT_RATED,
    ]
    return next((r for r in order if r in ratings), FollowUp.Rating.NOT_RATED)


def _close(case: Case, *, actor, outcome: str, note: str = "") -> None:
    case.transition(S.CLOSED)
    case.closed_at = timezone.now()
    case.outcome = outcome
    case.save(update_fields=["status", "closed_at", "outcome", "satisfaction"])
    _event(case, Event.Kind.CLOSED, actor=actor, public_text=_("Closed."), note=note)
    if case.kind == Case.Kind.DEPUTY:
        _deputy_suggestion_closed(case)


def _deputy_suggestion_closed(case: Case) -> None:
    """B-class (review) items get a later look (回头看); the constituents whose opinions
    became this suggestion hear its final result."""
    child = case.deputysuggestion
    if child.result_class_id and child.result_class.needs_review and not child.review_due:
        child.review_due = add_months(timezone.localdate(), settings.LIAISON_REVIEW_MONTHS)
        child.save(update_fields=["review_due"])
    reply = case.replies.filter(addressee__isnull=True).order_by("-created_at").first()
    result = str(child.result_class) if child.result_class_id else ""
    for source in Suggestion.objects.filter(pk__in=child.source_cases.values("pk")):
        _event(
            source,
            Event.Kind.NOTE,
            public_text=(
                _("The deputy suggestion it became was answered (%(result)s): %(text)s")
                % {"result": result, "text": reply.public_text[:200] if reply else ""}
            )[:300],
        )
        if source.phone and not source.do_not_contact:
            notification_create(
                channel=Notification.Channel.SMS,
                kind="promoted_result",
                subject=_("Result"),
                body=_(
                    "The deputy suggestion made from your opinion %(code)s was answered: %(link)s"
                )
                % {
                    "code": source.tracking_code,
                    "link": absolute_link(
                        reverse("suggestions:track") + f"?code={source.tracking_code}"
                    ),
                },
                address=source.phone,
                dedupe_key=f"case:{source.pk}:promoted-result:{case.pk}",
            )


def _reopen(case: Case, *, actor, comment: str) -> None:
    """Re-handling after an unsatisfied rating: the last lead gets a new time limit."""
    case.transition(S.REOPENED)
    case.reopen_count += 1
    lead = (
        case.assignments.filter(role=Assignment.Role.LEAD, status=Assignment.Status.REPLIED)
        .order_by("-assigned_at", "-id")
        .first()
    )
    if case.kind == Case.Kind.DEPUTY:
        # Re-handling of a deputy suggestion: a local rule, 1–3 months (default 2).
        months, days = settings.LIAISON_DEPUTY_REHANDLE_MONTHS, None
        due = add_months(timezone.localdate(), months)
    else:
        months, days = None, settings.LIAISON_REOPEN_WORKDAYS
        due = workdays.add_workdays(timezone.localdate(), days)
    if lead is not None:
        lead.status = Assignment.Status.ACTIVE
        lead.due_date = due
        lead.time_limit_days = days
        lead.time_limit_months = months
        lead.save(update_fields=["status", "due_date", "time_limit_days", "time_limit_months"])
        case.due_date = due
    else:
        case.due_date = None
    case.save(update_fields=["status", "reopen_count", "due_date", "satisfaction"])
    _event(
        case,
        Event.Kind.REOPENED,
        actor=actor,
        public_text=(
            _("Reopened for re-handling, due %(due)s.") % {"due": f"{due:%Y-%m-%d}"}
            if lead
            else _("Reopened; the liaison office will assign it.")
        ),
        note=comment,
    )
    if lead is not None:
        _notify_department(
            lead.department,
            kind="reopened",
            subject=_("Unsatisfied, handle again by %(due)s: %(title)s")
            % {"due": f"{due:%Y-%m-%d}", "title": case.title},
            case=case,
            key=f"case:{case.pk}:reopened:{case.reopen_count}:{lead.department_id}",
        )
    _notify_office(
        case,
        kind="reopened",
        subject=_("Rated unsatisfied and reopened: %(title)s") % {"title": case.title},
        key=f"case:{case.pk}:reopened:{case.reopen_count}",
    )


def case_expire_ratings(*, now: dt.datetime | None = None) -> int:
    """Close replies nobody rated in time as "not rated" (never as satisfied)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.LIAISON_RATING_DAYS)
    closed = 0
    waiting = Case.objects.filter(
        status__in=(S.REPLIED, S.ANSWERED_ON_SPOT), replied_at__lt=cutoff
    ).values_list("pk", flat=True)
    for case_id in waiting.iterator():
        with transaction.atomic():
            case = Case.objects.select_for_update(skip_locked=True).filter(pk=case_id).first()
            if case is None or case.status not in (S.REPLIED, S.ANSWERED_ON_SPOT):
                continue
            rated = case.follow_ups.filter(round=case.reopen_count)
            if case.kind == Case.Kind.DEPUTY:
                # Signers who did not rate count as "not rated"; the others' ratings stand.
                raters = set(rated.values_list("rater_id", flat=True))
                for deputy in deputy_suggestion_signers(case):
                    if deputy.pk not in raters:
                        FollowUp.objects.create(
                            case=case,
                            round=case.reopen_count,
                            rating=FollowUp.Rating.NOT_RATED,
                            method=FollowUp.Method.TIMEOUT,
                            rater=deputy,
                        )
                case.satisfaction = _overall(list(rated.values_list("rating", flat=True)))
            elif rated.exists():
                continue
            else:
                FollowUp.objects.create(
                    case=case,
                    round=case.reopen_count,
                    rating=FollowUp.Rating.NOT_RATED,
                    method=FollowUp.Method.TIMEOUT,
                )
                case.satisfaction = FollowUp.Rating.NOT_RATED
            _event(case, Event.Kind.RATED, public_text=_("Not rated in time."))
            _close(case, actor=None, outcome=Case.Outcome.HANDLED)
            closed += 1
    return closed


# --- Office actions (交办、督办) -----------------------------------------------------


def case_close(*, case: Case, user: User, outcome: str, note: str = "") -> None:
    """Staff close an item: a reply nobody will rate, or a matter that cannot be done
    (in litigation, arbitration or administrative review; outside any body's remit)."""
    if outcome not in Case.Outcome.values:
        raise ValidationError({"outcome": _("Choose how the item ends.")})
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.status in (S.REPLIED, S.ANSWERED_ON_SPOT):
            case.satisfaction = case.satisfaction or FollowUp.Rating.NOT_RATED
            _close(case, actor=user, outcome=outcome, note=note)
        elif case.is_open and outcome == Case.Outcome.NOT_FEASIBLE:
            if not note.strip():
                raise ValidationError({"note": _("Say why the item cannot be handled.")})
            case.transition(S.REJECTED)
            case.outcome = outcome
            case.closed_at = timezone.now()
            case.save(update_fields=["status", "outcome", "closed_at"])
            case.assignments.filter(status=Assignment.Status.ACTIVE).update(
                status=Assignment.Status.WITHDRAWN
            )
            _event(case, Event.Kind.REJECTED, actor=user, public_text=note.strip()[:300])
            _tell_merged(case, text=note.strip())
        else:
            raise ValidationError(
                _("An item that is “%(status)s” cannot be closed that way.")
                % {"status": case.get_status_display()}
            )


def case_remind(*, case: Case, user: User) -> int:
    """Staff chase the handling departments by hand (催办); once per item and day."""
    today = timezone.localdate()
    sent = 0
    for assignment in case.assignments.filter(status=Assignment.Status.ACTIVE).select_related(
        "department"
    ):
        sent += _notify_department(
            assignment.department,
            kind="reminder",
            subject=_("Please handle by %(due)s: %(title)s")
            % {"due": f"{assignment.due_date:%Y-%m-%d}", "title": case.title},
            case=case,
            key=f"assignment:{assignment.pk}:manual-reminder:{today}",
        )
    if sent:
        _event(
            case, Event.Kind.REMINDED, actor=user, public=False, note=_("Reminded by the office.")
        )
    return sent


def case_merge(*, primary: Case, duplicates: Iterable[Case], user: User) -> int:
    """Merge duplicates into one item (并单): they close as "merged", and every merged
    constituent gets the primary's reply."""
    ids = sorted({c.pk for c in duplicates} - {primary.pk})
    if not ids:
        raise ValidationError(_("Choose at least one other item to merge."))
    with transaction.atomic():
        # Lock in id order so two staff merging overlapping sets cannot deadlock.
        locked = {
            c.pk: c
            for c in Case.objects.select_for_update()
            .filter(pk__in=[primary.pk, *ids])
            .order_by("pk")
        }
        primary = locked[primary.pk]
        if not primary.is_open:
            raise ValidationError(_("Merge into an item that is still open."))
        for case_id in ids:
            case = locked.get(case_id)
            if case is None or not case.is_open:
                raise ValidationError(_("Only open items can be merged."))
            if not _same_township(case.region_id, primary.region_id):
                raise ValidationError(_("Only items of the same township can be merged."))
            case.transition(S.MERGED)
            case.merged_into = primary
            # Items merged into this one before now follow the new primary, so their
            # constituents get its reply too (no chains).
            Case.objects.filter(merged_into=case).update(merged_into=primary)
            case.closed_at = timezone.now()
            case.save(update_fields=["status", "merged_into", "closed_at"])
            case.assignments.filter(status=Assignment.Status.ACTIVE).update(
                status=Assignment.Status.WITHDRAWN
            )
            _event(
                case,
                Event.Kind.MERGED,
                actor=user,
                public_text=_("Handled together with a similar opinion; you will get its reply."),
                into=primary.pk,
            )
        _event(
            primary,
            Event.Kind.MERGED,
            actor=user,
            public=False,
            note=_("Merged %(count)s similar items into this one.") % {"count": len(ids)},
            merged=",".join(map(str, ids)),
        )
    return len(ids)


def _same_township(a: str, b: str) -> bool:
    def township(code: str) -> str:
        level = regions.level_of(code)
        return code[:9] if level in ("township", "village") else code

    return township(a) == township(b)


# --- The deputy's link ------------------------------------------------------------


class DeputyDecision:
    ON_SPOT = "on_spot"
    PASS_ON = "pass_on"  # noqa: S105 (not a password)
    PROMOTE = "promote"
    # Recorded by the system, not chosen by the deputy:
    NO_ACCOUNT = "no_account"
    EXPIRED = "expired"


def suggestion_deputy_decide(
    *, suggestion: Suggestion, user: User, decision: str, text: str = ""
) -> None:
    """The deputy an opinion was addressed to answers it, passes it on, or marks it to
    become a formal deputy suggestion (the link stays on the item)."""
    deputy = getattr(user, "deputy", None)
    if deputy is None or suggestion.deputy_id != deputy.pk:
        raise ValidationError(_("This opinion is not addressed to you."))
    if suggestion.status != S.RECEIVED or suggestion.deputy_decision:
        raise ValidationError(_("This opinion has already been dealt with."))
    with transaction.atomic():
        locked = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
        if locked.deputy_decision:
            raise ValidationError(_("This opinion has already been dealt with."))
        locked.deputy_decision = decision
        if decision == DeputyDecision.ON_SPOT:
            # One transaction: the answer and the recorded decision stand or fall together.
            case_answer_on_spot(case=locked, user=user, public_text=text)
            Suggestion.objects.filter(pk=locked.pk).update(deputy_decision=decision)
        elif decision == DeputyDecision.PASS_ON:
            locked.save(update_fields=["deputy_decision"])
            _event(
                locked,
                Event.Kind.PASSED_ON,
                actor=user,
                public_text=_("The deputy passed it on for handling."),
                note=text,
            )
            _enqueue_routing(locked)
        elif decision == DeputyDecision.PROMOTE:
            locked.transition(S.PROMOTED)
            locked.outcome = Case.Outcome.PROMOTED
            locked.closed_at = timezone.now()
            locked.save(update_fields=["deputy_decision", "status", "outcome", "closed_at"])
            _event(
                locked,
                Event.Kind.PROMOTED,
                actor=user,
                public_text=_("The deputy will raise it as a formal deputy suggestion."),
                note=text,
            )
        else:
            raise ValidationError(_("Unknown decision."))


# --- Deadlines (the sweep) ----------------------------------------------------------


def deadlines_sweep(*, today: dt.date | None = None) -> dict[str, int]:
    """Send reminders before due dates and overdue notices after them.

    Runs from beat every few minutes and may overlap with itself: each
    (assignment, kind, due date) gets one ``DeadlineNotice`` row, and only the sweep
    whose insert wins sends the messages.
    """
    today = today or timezone.localdate()
    lead_days = settings.LIAISON_REMINDER_WORKDAYS
    horizon = today + dt.timedelta(days=lead_days * 2 + 20)
    calendar = workdays.Calendar.for_range(today, horizon)
    counts = {"reminder": 0, "overdue": 0}
    active = (
        Assignment.objects.filter(
            status=Assignment.Status.ACTIVE,
            case__status__in=Case.HANDLING_STATUSES,
            due_date__lte=horizon,
        )
        .select_related("case", "department")
        .order_by("due_date", "id")
    )
    sent_before = set(
        DeadlineNotice.objects.filter(assignment__in=active.values("pk")).values_list(
            "assignment_id", "kind", "due_date"
        )
    )
    # Most open assignments are not due yet or were told already: read only their ids
    # and dates, and load the full rows for the few that get a notice now.
    to_send: dict[int, str] = {}
    for pk, due in active.values_list("pk", "due_date").iterator(chunk_size=2000):
        if due < today:
            kind = DeadlineNotice.Kind.OVERDUE
        elif calendar.workdays_between(today, due) <= lead_days:
            kind = DeadlineNotice.Kind.REMINDER
        else:
            continue
        if (pk, kind, due) not in sent_before:
            to_send[pk] = kind
    pending = list(to_send)
    for start in range(0, len(pending), 1000):
        for assignment in active.filter(pk__in=pending[start : start + 1000]):
            kind = to_send[assignment.pk]
            if _deadline_notice(assignment, kind, today):
                counts[kind] += 1
    return counts


def routing_retry(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Queue routing again for opinions that should have been routed long ago.

    Routing is published after commit and relayed by beat until the broker takes it,
    but a task handed to a worker that then dies whole comes back only after the
    broker's visibility timeout (an hour on Redis). Opinions still "received" after
    ``LIAISON_ROUTING_RETRY_MINUTES``, with no routing waiting in the outbox, no
    assignment ever, not waiting for their deputy and not left to the office's triage,
    are queued again; routing is idempotent, so a late redelivery changes nothing.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(minutes=settings.LIAISON_ROUTING_RETRY_MINUTES)
    queued = (
        OutboxMessage.objects.filter(task="suggestions.tasks.route_case", sent_at__isnull=True)
        .annotate(case_ref=Cast(KT("kwargs__case_id"), BigIntegerField()))
        .filter(case_ref=OuterRef("pk"))
    )
    stuck = (
        Case.objects.filter(kind=Case.Kind.CONSTITUENT, status=S.RECEIVED, received_at__lt=cutoff)
        .exclude(Q(suggestion__deputy__isnull=False) & Q(suggestion__deputy_decision=""))
        .exclude(Exists(queued))
        .exclude(Exists(Assignment.objects.filter(case=OuterRef("pk"))))
        .exclude(Exists(Event.objects.filter(case=OuterRef("pk"), kind=Event.Kind.AWAITING_TRIAGE)))
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    count = 0
    for case_id in stuck:
        with transaction.atomic():
            outbox_enqueue(task="suggestions.tasks.route_case", kwargs={"case_id": case_id})
        count += 1
    if count:
        logger.warning("routing: %s opinion(s) were still unrouted; queued again", count)
    return count


def deputy_decisions_expire(*, today: dt.date | None = None) -> int:
    """Opinions a deputy has not acted on within the limit go on to routing."""
    today = today or timezone.localdate()
    limit = settings.LIAISON_DEPUTY_DECISION_WORKDAYS
    start = today - dt.timedelta(days=limit * 2 + 30)
    calendar = workdays.Calendar.for_range(start, today)
    waiting = Suggestion.objects.filter(
        status=S.RECEIVED, deputy__isnull=False, deputy_decision="", received_at__date__lt=today
    ).values_list("pk", "received_at")
    expired = 0
    for pk, received_at in waiting.iterator():
        received_on = timezone.localtime(received_at).date()
        if received_on >= start and calendar.workdays_between(received_on, today) <= limit:
            continue
        with transaction.atomic():
            locked = (
                Suggestion.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=S.RECEIVED, deputy_decision="")
                .first()
            )
            if locked is None:
                continue
            locked.deputy_decision = DeputyDecision.EXPIRED
            locked.save(update_fields=["deputy_decision"])
            _event(
                locked,
                Event.Kind.PASSED_ON,
                public_text=_("Passed on for handling."),
                note=_("The deputy did not act within %(days)s working days.") % {"days": limit},
            )
            _enqueue_routing(locked)
            expired += 1
    return expired


def _deadline_notice(assignment: Assignment, kind: str, today: dt.date) -> bool:
    case, department, due = assignment.case, assignment.department, assignment.due_date
    with transaction.atomic():
        # Re-read under a lock: a reply or re-assignment committed since the sweep
        # read the list means there is nothing to chase any more.
        current = (
            Assignment.objects.select_for_update()
            .filter(pk=assignment.pk, status=Assignment.Status.ACTIVE, due_date=due)
            .filter(case__status__in=Case.HANDLING_STATUSES)
            .exists()
        )
        if not current:
            return False
        try:
            with transaction.atomic():
                DeadlineNotice.objects.create(assignment=assignment, kind=kind, due_date=due)
        except IntegrityError:
            return False  # another sweep sent it
        if kind == DeadlineNotice.Kind.REMINDER:
            _notify_department(
                department,
                kind="reminder",
                subject=_("Due %(due)s: %(title)s")
                % {"due": f"{due:%Y-%m-%d}", "title": case.title},
                case=case,
                key=f"assignment:{assignment.pk}:reminder:{due}",
            )
            _event(
                case,
                Event.Kind.REMINDED,
                public=False,
                note=_("Reminder to %(name)s before the due date %(due)s.")
                % {"name": department, "due": f"{due:%Y-%m-%d}"},
            )
            return True
        subject = _("Overdue since %(due)s: %(title)s (%(name)s)") % {
            "due": f"{due:%Y-%m-%d}",
            "title": case.title,
            "name": department,
        }
        key = f"assignment:{assignment.pk}:overdue:{due}"
        _notify_department(department, kind="overdue", subject=subject, case=case, key=key)
        if department.supervisor_phone:
            notification_create(
                channel=Notification.Channel.SMS,
                kind="overdue",
                subject=subject,
                body=subject,
                address=department.supervisor_phone,
                dedupe_key=f"{key}:supervisor-sms",
            )
        if department.supervisor_email:
            notification_create(
                channel=Notification.Channel.EMAIL,
                kind="overdue",
                subject=subject,
                body=_("%(name)s has not replied to “%(title)s”, due %(due)s.")
                % {"name": department, "title": case.title, "due": f"{due:%Y-%m-%d}"},
                address=department.supervisor_email,
                dedupe_key=f"{key}:supervisor-email",
            )
        _notify_office(case, kind="overdue", subject=subject, key=key)
        _event(
            case,
            Event.Kind.OVERDUE,
            public=False,
            note=_("Overdue notice (督办) to %(name)s and its supervisor.") % {"name": department},
        )
        return True


def department_digests(*, today: dt.date | None = None) -> int:
    """One morning message per department handler: open, due soon, overdue."""
    today = today or timezone.localdate()
    soon = today + dt.timedelta(days=7)
    sent = 0
    departments = (
        Department.objects.filter(is_active=True, assignments__status=Assignment.Status.ACTIVE)
        .distinct()
        .prefetch_related("users")
    )
    for department in departments:
        active = department.assignments.filter(
            status=Assignment.Status.ACTIVE, case__status__in=Case.HANDLING_STATUSES
        )
        total = active.count()
        if not total:
            continue
        overdue = active.filter(due_date__lt=today).count()
        due_soon = active.filter(due_date__gte=today, due_date__lte=soon).count()
        subject = _(
            "%(name)s today: %(total)s open, %(soon)s due within a week, %(overdue)s overdue"
        ) % {
            "name": department,
            "total": total,
            "soon": due_soon,
            "overdue": overdue,
        }
        for user in department.users.all():
            if not user.is_active:
                continue
            if notification_create(
                channel=Notification.Channel.INBOX,
                kind="digest",
                subject=subject,
                recipient=user,
                link=reverse("suggestions:workspace"),
                dedupe_key=f"digest:{department.pk}:{today}:{user.pk}",
            ):
                sent += 1
    return sent


# --- Who hears about it -------------------------------------------------------------


def _notify_department(department: Department, *, kind, subject, case, key) -> int:
    sent = 0
    for user in department.users.filter(is_active=True):
        sent += bool(
            notification_create(
                channel=Notification.Channel.INBOX,
                kind=kind,
                subject=subject,
                recipient=user,
                link=reverse("suggestions:work_item", args=[case.pk]),
                dedupe_key=f"{key}:u{user.pk}",
            )
        )
    return sent


def _notify_office(case: Case, *, kind, subject, key) -> int:
    sent = 0
    for user in office_users_for(case.region_id, all_local=True):
        sent += bool(
            notification_create(
                channel=Notification.Channel.INBOX,
                kind=kind,
                subject=subject,
                recipient=user,
                link=reverse(
                    "admin:suggestions_deputysuggestion_change"
                    if case.kind == Case.Kind.DEPUTY
                    else "admin:suggestions_suggestion_change",
                    args=[case.pk],
                ),
                dedupe_key=f"{key}:u{user.pk}",
            )
        )
    return sent
