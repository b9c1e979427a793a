"""Reads for suggestions: each selector owns its joins, so lists run a fixed number of
queries whatever the data size."""

from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from liaison import scoping
from suggestions.models import Assignment, Case, Category, Event, Reply, Suggestion


def categories_active() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("sort_order", "code")


def suggestion_track(*, code: str, phone_last4: str) -> Suggestion | None:
    """The item a tracking code names, if the phone's last four digits match.

    An unknown code and a wrong phone look the same to the caller, so the lookup
    reveals nothing about which codes exist.
    """
    code = (code or "").strip().upper()
    phone_last4 = (phone_last4 or "").strip()
    if not code or len(phone_last4) != 4 or not phone_last4.isdigit():
        return None
    suggestion = (
        Suggestion.objects.select_related("category", "station", "merged_into")
        .filter(tracking_code=code)
        .first()
    )
    if suggestion is None or not suggestion.phone or suggestion.phone[-4:] != phone_last4:
        return None
    return suggestion


def public_events(case: Case) -> list[Event]:
    return list(case.events.filter(is_public=True).order_by("created_at", "id"))


def public_reply(case: Case) -> Reply | None:
    """The latest reply the constituent may read; a merged item shows its primary's."""
    target = case.merged_into if case.status == Case.Status.MERGED and case.merged_into_id else case
    return target.replies.exclude(public_text="").order_by("-created_at", "-id").first()


def awaiting_rating(case: Case) -> bool:
    """Whether the current reply round still waits for the constituent's rating."""
    if case.status not in (Case.Status.REPLIED, Case.Status.ANSWERED_ON_SPOT):
        return False
    return not case.follow_ups.filter(round=case.reopen_count).exists()


def department_assignments(*, user, sort: str = "due") -> QuerySet[Assignment]:
    """A handler's work list: active assignments of the user's departments."""
    order = ["-due_date", "-id"] if sort == "-due" else ["due_date", "id"]
    return (
        Assignment.objects.filter(
            department__users=user,
            status=Assignment.Status.ACTIVE,
            case__status__in=Case.HANDLING_STATUSES,
        )
        .select_related("case", "case__category", "case__region", "department")
        .order_by(*order)
    )


def department_case(*, user, case_id: int) -> Case | None:
    """A case the user's departments hold or held; None (404) for anything else."""
    return (
        Case.objects.filter(pk=case_id, assignments__department__users=user)
        .select_related("category", "region")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.select_related("department").order_by("assigned_at"),
            ),
            Prefetch("events", queryset=Event.objects.select_related("actor")),
            Prefetch("replies", queryset=Reply.objects.select_related("department")),
        )
        .distinct()
        .first()
    )


def deputy_addressed(*, user) -> QuerySet[Suggestion]:
    deputy = getattr(user, "deputy", None)
    if deputy is None:
        return Suggestion.objects.none()
    return (
        Suggestion.objects.filter(deputy=deputy)
        .select_related("category", "station")
        .order_by("-received_at")
    )


def similar_open_cases(*, case: Case, user=None, limit: int = 5) -> list[Case]:
    """Open items of the same township that read alike: candidates for merging (并单).

    PostgreSQL ranks by trigram similarity of the title and content (pg_trgm); SQLite
    falls back to items sharing the category or a title word.
    """
    prefix = case.region_id[:9] if len(case.region_id.rstrip("0")) > 6 else case.region_id[:6]
    candidates = Case.objects.filter(
        region_id__startswith=prefix, status__in=Case.OPEN_STATUSES
    ).exclude(pk=case.pk)
    if user is not None:
        candidates = scoping.scope(candidates, user)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import TrigramSimilarity
        from django.db.models.functions import Concat, Left

        text = f"{case.title} {case.content[:200]}"
        return list(
            candidates.annotate(
                similarity=TrigramSimilarity(Concat("title", Left("content", 200)), text)
            )
            .filter(similarity__gte=0.2)
            .select_related("category")
            .order_by("-similarity")[:limit]
        )
    words = [w for w in case.title.split() if len(w) > 1] or [case.title[:4]]
    from django.db.models import Q

    query = Q(category_id=case.category_id) if case.category_id else Q()
    for word in words[:5]:
        query |= Q(title__icontains=word)
    return list(candidates.filter(query).select_related("category")[:limit])


def overdue_filter(queryset: QuerySet) -> QuerySet:
    return queryset.filter(status__in=Case.OPEN_STATUSES, due_date__lt=timezone.localdate())
