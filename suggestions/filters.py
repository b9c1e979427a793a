"""django-filter filter sets of the suggestions API: what a list can be narrowed by.

Each filter is one indexed condition the selectors' querysets already allow; none adds a
join a page does not make. Region filters are code prefixes (``liaison.regions``), the
same range scan jurisdiction scoping uses, and never widen what scoping left.
"""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison import regions
from suggestions import selectors
from suggestions.models import Case, Suggestion


def _overdue(queryset, value: bool | None):
    if value is None:
        return queryset
    overdue = Q(status__in=Case.OPEN_STATUSES, due_date__lt=timezone.localdate())
    return queryset.filter(overdue) if value else queryset.exclude(overdue)


class DepartmentItemFilter(django_filters.FilterSet):
    """A handler's work list (active assignments): by the item's status, overdue or not,
    and the due date's range."""

    status = django_filters.ChoiceFilter(
        field_name="case__status",
        choices=[(status.value, status.label) for status in Case.HANDLING_STATUSES],
        label=_("status"),
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("overdue"))
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")
    kind = django_filters.ChoiceFilter(field_name="case__kind", choices=Case.Kind.choices)

    def filter_overdue(self, queryset, name, value):
        # The assignment's own due date: the one the department must meet.
        if value is None:
            return queryset
        today = timezone.localdate()
        return (
            queryset.filter(due_date__lt=today) if value else queryset.exclude(due_date__lt=today)
        )


class StaffSuggestionFilter(django_filters.FilterSet):
    """The office's list of opinions: the admin changelist's filters, as query
    parameters. ``code`` finds one item by its tracking code."""

    status = django_filters.MultipleChoiceFilter(choices=Case.Status.choices)
    category = django_filters.CharFilter(field_name="category__code")
    channel = django_filters.ChoiceFilter(choices=Suggestion.Channel.choices)
    region = django_filters.CharFilter(method="filter_region", label=_("region"))
    received_after = django_filters.DateFilter(field_name="received_at", lookup_expr="date__gte")
    received_before = django_filters.DateFilter(field_name="received_at", lookup_expr="date__lte")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("overdue"))
    code = django_filters.CharFilter(method="filter_code", label=_("tracking code"))

    def filter_region(self, queryset, name, value):
        """The region's subtree; an unknown code matches nothing rather than failing."""
        try:
            prefix = regions.prefix_of(value.strip())
        except ValueError:
            return queryset.none()
        return queryset.filter(region__code__startswith=prefix)

    def filter_overdue(self, queryset, name, value):
        if value:
            return selectors.overdue_filter(queryset)
        return _overdue(queryset, value)

    def filter_code(self, queryset, name, value):
        # Codes are stored in capitals: an exact match on the unique index.
        return queryset.filter(tracking_code=value.strip().upper())


class DeputySuggestionFilter(django_filters.FilterSet):
    """A deputy's suggestions: by status, and those waiting for them (the page's
    "waiting" annotation: their draft, an invitation, a reply to rate)."""

    status = django_filters.MultipleChoiceFilter(choices=Case.Status.choices)
    waiting = django_filters.BooleanFilter(field_name="waiting", label=_("waiting for me"))
