"""The stations API (``/api/v1/``), read-only: what the public station and deputy pages
show, and the signed-in deputy's own duties.

- ``GET stations/`` — active stations, paginated; filters ``region`` (a 12-digit
  division code: its whole subtree), ``region_level``, ``tier``, ``kind``; ``search``
  in name, address and code; public.
- ``GET stations/<code>/`` — a station page: region, address, reception schedules, the
  coming reception days (who is on duty once announced), its deputies, QR and poster
  links; public.
- ``GET deputies/`` — active deputies' public profiles, paginated; filters ``station``
  (a station code), ``level`` (a congress level); ``search`` in the name; public.
- ``GET deputies/<code>/`` — a deputy's public page; public.
- ``GET deputy/duties/`` — the signed-in deputy's duties and swap requests (token or
  session); 401 anonymous, 403 for an account that is not a linked deputy.

Only what the pages show: never a phone, an ID number or an account. Conventions
(errors, pagination, filters) are ``liaison.api``'s.
"""

import django_filters
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from liaison import regions
from liaison.models import Region
from stations import selectors
from stations.models import Deputy, Level, Station
from stations.serializers import (
    DeputyDetailSerializer,
    DeputyListSerializer,
    OwnDutiesSerializer,
    StationDetailSerializer,
    StationListSerializer,
)

# --- Filters --------------------------------------------------------------------------


class StationFilter(django_filters.FilterSet):
    region = django_filters.CharFilter(
        method="filter_region",
        max_length=12,
        validators=[RegexValidator(regions.CODE_RE, _("A division code has exactly 12 digits."))],
        help_text=_("A 12-digit division code: the stations of its whole subtree."),
    )
    region_level = django_filters.ChoiceFilter(
        field_name="region__level",
        choices=Region.Level.choices,
        help_text=_("The level of the station's own region."),
    )
    tier = django_filters.ChoiceFilter(choices=Station.Tier.choices)
    kind = django_filters.ChoiceFilter(choices=Station.Kind.choices)

    class Meta:
        model = Station
        fields = ["region", "region_level", "tier", "kind"]

    def filter_region(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # An indexed prefix match on the code: the region's subtree, no join.
        return queryset.filter(region__code__startswith=regions.prefix_of(value))


class DeputyFilter(django_filters.FilterSet):
    station = django_filters.CharFilter(
        method="filter_station",
        max_length=12,
        help_text=_("A station's code: the deputies placed there."),
    )
    level = django_filters.ChoiceFilter(
        method="filter_level",
        choices=Level.choices,
        help_text=_("A congress level: deputies to a congress of that level."),
    )

    class Meta:
        model = Deputy
        fields = ["station", "level"]

    def filter_station(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            placements__station__code=value,
            placements__is_active=True,
            placements__station__is_active=True,
        )

    def filter_level(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(memberships__congress__level=value, memberships__is_active=True)


# --- Permissions ----------------------------------------------------------------------


class IsOwnDutiesDeputy(BasePermission):
    """A signed-in deputy (linked to a deputy record) with the duty page's permission."""

    message = _("Only deputies have duties: this account is not linked to a deputy.")

    def has_permission(self, request, view) -> bool:
        return getattr(request.user, "deputy", None) is not None and request.user.has_perm(
            "stations.view_own_duties"
        )


class _PublicReadView:
    """Anonymous reads: no authentication, so no session and no CSRF check."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]


# --- Stations -------------------------------------------------------------------------


@extend_schema(tags=["stations"])
class StationListView(_PublicReadView, generics.ListAPIView):
    """Active stations, by region and code; filter by region (its subtree), region
    level, tier or kind, search in name, address and code. One query a page, plus the
    count."""

    serializer_class = StationListSerializer
    filterset_class = StationFilter
    search_fields = ["name", "address", "=code"]

    def get_queryset(self):
        return selectors.station_search()


@extend_schema(tags=["stations"])
class StationDetailView(_PublicReadView, generics.RetrieveAPIView):
    """A station's public page: schedules, coming reception days, deputies, QR links."""

    serializer_class = StationDetailSerializer
    lookup_field = "code"

    def get_object(self):
        return selectors.station_for_public_page(code=self.kwargs["code"])


# --- Deputies -------------------------------------------------------------------------


def _public_deputies() -> QuerySet[Deputy]:
    # The memberships a public page shows (active, national first), prefetched as the
    # station page's selector does.
    return (
        Deputy.objects.filter(is_active=True)
        .prefetch_related(selectors._public_memberships())
        .order_by("code")
    )


@extend_schema(tags=["deputies"])
class DeputyListView(_PublicReadView, generics.ListAPIView):
    """Active deputies' public profiles; filter by station or congress level, search in
    the name. Two queries a page (deputies, memberships), plus the count."""

    serializer_class = DeputyListSerializer
    filterset_class = DeputyFilter
    search_fields = ["name"]

    def get_queryset(self):
        # distinct(): a deputy in two congresses of the filtered level is one row.
        return _public_deputies().distinct()


@extend_schema(tags=["deputies"])
class DeputyDetailView(_PublicReadView, generics.RetrieveAPIView):
    """A deputy's public page: congresses, stations, groups, introduction, QR links."""

    serializer_class = DeputyDetailSerializer
    lookup_field = "code"

    def get_object(self):
        return selectors.deputy_for_public_page(code=self.kwargs["code"])


# --- The deputy's own duties ----------------------------------------------------------


@extend_schema(tags=["deputy"], responses=OwnDutiesSerializer)
class OwnDutiesView(APIView):
    """The signed-in deputy's coming and recent duties and swap requests, as the duty
    page shows them. Token or session; a fixed number of queries."""

    permission_classes = [IsOwnDutiesDeputy]
    renderer_classes = [JSONRenderer]

    def get(self, request):
        data = selectors.deputy_duties(deputy=request.user.deputy)
        response = Response(OwnDutiesSerializer(data).data)
        response["Cache-Control"] = "private, no-store"
        return response
