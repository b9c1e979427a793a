"""Reads for suggestions: each selector owns its joins, so lists run a fixed number of
queries whatever the data size."""

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Greatest, Left
from django.utils import timezone

from liaison import regions, scoping
from liaison.refcache import RefCache
from suggestions.models import Assignment, Case, Category, Event, FollowUp, Reply, Suggestion

# pg_trgm similarity above which two opinions are offered for merging. Measured on the
# demo opinions: rewordings of one matter score 0.1–0.3, unrelated ones 0.
SIMILARITY_THRESHOLD = 0.1


def categories_active() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("sort_order", "code")


_categories_by_code = RefCache(
    "categories",
    lambda code: Category.objects.filter(code=code).first(),
    watch=["suggestions.Category"],
)


def category_by_code(code: str) -> Category | None:
    """The category with this code (active or not); read-only, cached per process."""
    return _categories_by_code.get(code)


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
    # Only departments that hold the item or answered it: one whose share was
    # withdrawn or returned no longer reads what happens next.
    return (
        Case.objects.filter(
            pk=case_id,
            assignments__department__users=user,
            assignments__status__in=(Assignment.Status.ACTIVE, Assignment.Status.REPLIED),
        )
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

    PostgreSQL ranks by trigram similarity (pg_trgm) of the title or the opening of the
    content, whichever is closer; Chinese text has no spaces, so each run of characters
    is one "word" and short titles score low — hence the modest threshold. SQLite falls
    back to items sharing the category or the title.
    """
    level = regions.level_of(case.region_id)
    prefix = (
        case.region_id[:9]
        if level in ("township", "village")
        else regions.prefix_of(case.region_id)
    )
    candidates = (
        Case.objects.filter(region__code__startswith=prefix, status__in=Case.OPEN_STATUSES)
        .exclude(pk=case.pk)
        .select_related("category")
    )
    if user is not None:
        candidates = scoping.scope(candidates, user)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import TrigramSimilarity

        return list(
            candidates.annotate(
                similarity=Greatest(
                    TrigramSimilarity("title", case.title),
                    TrigramSimilarity(Left("content", 200), case.content[:200]),
                )
            )
            .filter(similarity__gte=SIMILARITY_THRESHOLD)
            .order_by("-similarity", "-received_at")[:limit]
        )
    query = Q(title__icontains=case.title[:6])
    if case.category_id:
        query |= Q(category_id=case.category_id)
    return list(candidates.filter(query).order_by("-received_at")[:limit])


def overdue_filter(queryset: QuerySet) -> QuerySet:
    return queryset.filter(status__in=Case.OPEN_STATUSES, due_date__lt=timezone.localdate())


def deputy_suggestion_handling(suggestion, deputy, *, is_signer: bool) -> dict:
    """How a deputy suggestion is being handled, as its deputy sees it (the page and the
    API): the departments on it, their replies to this deputy, this deputy's ratings
    (signers only) and the public timeline."""
    return {
        "assignments": list(
            suggestion.assignments.filter(
                status__in=(Assignment.Status.ACTIVE, Assignment.Status.REPLIED)
            )
            .select_related("department")
            .order_by("assigned_at", "id")
        ),
        "replies": list(
            Reply.objects.filter(case=suggestion, addressee=deputy)
            .select_related("department")
            .order_by("created_at", "id")
        ),
        "ratings": (
            list(FollowUp.objects.filter(case=suggestion, rater=deputy).order_by("round"))
            if is_signer
            else []
        ),
        "events": public_events(suggestion),
    }
