"""Serializers of the stations API: output only (the API is read-only).

They show what the public station and deputy pages show, and nothing more: never a
deputy's phone, ID number, gender or account; only active deputies, stations,
placements and memberships (the selectors filter them). Links are absolute: a client
prints them as QR codes (``stations.qr.absolute_url``).
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from liaison.models import Region
from stations import qr
from stations.models import Deputy, Duty, Membership, ReceptionDay, ReceptionSchedule, Station
from stations.models.base import DutySwap


def _absolute(serializer: serializers.Serializer, name: str, *args) -> str:
    return qr.absolute_url(serializer.context["request"], reverse(name, args=args))


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["code", "name", "level"]


class StationLinkSerializer(serializers.ModelSerializer):
    """A station as a deputy's page lists it: its code, name and region's name."""

    region = serializers.CharField(source="region.name")

    class Meta:
        model = Station
        fields = ["code", "name", "region"]


class StationListSerializer(serializers.ModelSerializer):
    """A row of ``GET /api/v1/stations/``."""

    tier_display = serializers.CharField(source="get_tier_display")
    kind_display = serializers.CharField(source="get_kind_display")
    region = RegionSerializer()
    url = serializers.SerializerMethodField(help_text=_("The public page (what its QR carries)."))

    class Meta:
        model = Station
        fields = [
            "code",
            "name",
            "tier",
            "tier_display",
            "kind",
            "kind_display",
            "region",
            "address",
            "latitude",
            "longitude",
            "url",
        ]

    def get_url(self, station: Station) -> str:
        return _absolute(self, "stations:station", station.code)


class ScheduleSerializer(serializers.ModelSerializer):
    description = serializers.CharField(source="describe")

    class Meta:
        model = ReceptionSchedule
        fields = ["description", "start_time", "end_time"]


class DeputyLinkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Deputy
        fields = ["code", "name"]


class ReceptionDaySerializer(serializers.ModelSerializer):
    """A coming reception day. Who is on duty is public from the notice date on only:
    before, ``on_duty`` is empty and ``announced`` false."""

    notice_date = serializers.DateField()
    announced = serializers.BooleanField()
    on_duty = serializers.SerializerMethodField()

    class Meta:
        model = ReceptionDay
        fields = ["date", "start_time", "end_time", "notice_date", "announced", "on_duty"]

    @extend_schema_field(DeputyLinkSerializer(many=True))
    def get_on_duty(self, day: ReceptionDay) -> list[dict]:
        return DeputyLinkSerializer([duty.deputy for duty in day.public_duties], many=True).data


class StationDeputySerializer(serializers.ModelSerializer):
    """A deputy placed at a station, with the titles the station page shows."""

    titles = serializers.SerializerMethodField()

    class Meta:
        model = Deputy
        fields = ["code", "name", "titles"]

    def get_titles(self, deputy: Deputy) -> list[str]:
        return [str(m.congress.deputy_title) for m in deputy.memberships.all()]


class StationDetailSerializer(StationListSerializer):
    """``GET /api/v1/stations/<code>/``: the station page as data."""

    schedules = serializers.SerializerMethodField()
    upcoming_days = ReceptionDaySerializer(many=True)
    deputies = StationDeputySerializer(source="placed_deputies", many=True)
    parent_region = serializers.CharField(source="region.parent.name", allow_null=True)
    qr_svg = serializers.SerializerMethodField()
    qr_png = serializers.SerializerMethodField()
    poster = serializers.SerializerMethodField()

    class Meta(StationListSerializer.Meta):
        fields = [
            *StationListSerializer.Meta.fields,
            "parent_region",
            "opening_notes",
            "schedules",
            "upcoming_days",
            "deputies",
            "qr_svg",
            "qr_png",
            "poster",
        ]

    @extend_schema_field(ScheduleSerializer(many=True))
    def get_schedules(self, station: Station) -> list[dict]:
        # Prefetched whole by the selector; the page shows the active ones.
        active = [schedule for schedule in station.schedules.all() if schedule.is_active]
        return ScheduleSerializer(active, many=True).data

    def get_qr_svg(self, station: Station) -> str:
        return _absolute(self, "stations:station_qr", station.code, "svg")

    def get_qr_png(self, station: Station) -> str:
        return _absolute(self, "stations:station_qr", station.code, "png")

    def get_poster(self, station: Station) -> str:
        return _absolute(self, "stations:station_poster", station.code)


class MembershipSerializer(serializers.ModelSerializer):
    congress = serializers.CharField(source="congress.name")
    level = serializers.CharField(source="congress.level")
    level_display = serializers.CharField(source="congress.get_level_display")
    term = serializers.CharField(source="congress.term")
    title = serializers.CharField(source="congress.deputy_title")

    class Meta:
        model = Membership
        fields = ["congress", "level", "level_display", "term", "constituency", "title"]


class DeputyListSerializer(serializers.ModelSerializer):
    """A row of ``GET /api/v1/deputies/``: a deputy's public profile in short."""

    memberships = MembershipSerializer(many=True)
    url = serializers.SerializerMethodField(help_text=_("The public page (what its QR carries)."))

    class Meta:
        model = Deputy
        fields = ["code", "name", "occupation", "memberships", "url"]

    def get_url(self, deputy: Deputy) -> str:
        return _absolute(self, "stations:deputy", deputy.code)


class DeputyDetailSerializer(DeputyListSerializer):
    """``GET /api/v1/deputies/<code>/``: the deputy's public page as data."""

    stations = serializers.SerializerMethodField()
    groups = serializers.SerializerMethodField()
    qr_svg = serializers.SerializerMethodField()
    qr_png = serializers.SerializerMethodField()

    class Meta(DeputyListSerializer.Meta):
        fields = [
            *DeputyListSerializer.Meta.fields,
            "bio",
            "stations",
            "groups",
            "qr_svg",
            "qr_png",
        ]

    @extend_schema_field(StationLinkSerializer(many=True))
    def get_stations(self, deputy: Deputy) -> list[dict]:
        stations = [placement.station for placement in deputy.active_placements]
        return StationLinkSerializer(stations, many=True).data

    def get_groups(self, deputy: Deputy) -> list[str]:
        return [group.name for group in deputy.groups.all()]

    def get_qr_svg(self, deputy: Deputy) -> str:
        return _absolute(self, "stations:deputy_qr", deputy.code, "svg")

    def get_qr_png(self, deputy: Deputy) -> str:
        return _absolute(self, "stations:deputy_qr", deputy.code, "png")


# --- The deputy's own duties ----------------------------------------------------------


class DutySerializer(serializers.ModelSerializer):
    date = serializers.DateField(source="reception_day.date")
    start_time = serializers.TimeField(source="reception_day.start_time")
    end_time = serializers.TimeField(source="reception_day.end_time")
    cancelled = serializers.BooleanField(source="reception_day.is_cancelled")
    station = StationLinkSerializer(source="reception_day.station")

    class Meta:
        model = Duty
        fields = ["id", "date", "start_time", "end_time", "cancelled", "station", "attended"]


class DutySwapSerializer(serializers.ModelSerializer):
    date = serializers.DateField(source="duty.reception_day.date")
    station = serializers.CharField(source="duty.reception_day.station.name")
    from_deputy = DeputyLinkSerializer()
    to_deputy = DeputyLinkSerializer()
    status_display = serializers.CharField(source="get_status_display")

    class Meta:
        model = DutySwap
        fields = [
            "id",
            "date",
            "station",
            "from_deputy",
            "to_deputy",
            "status",
            "status_display",
            "note",
            "created_at",
        ]


class OwnDutiesSerializer(serializers.Serializer):
    """``GET /api/v1/deputy/duties/``: the deputy duty page's data
    (``selectors.deputy_duties``)."""

    upcoming = DutySerializer(many=True)
    past = DutySerializer(many=True, help_text=_("The 20 most recent."))
    incoming = DutySwapSerializer(many=True, help_text=_("Colleagues asking you to take a day."))
    outgoing = DutySwapSerializer(many=True, help_text=_("Your requests to colleagues."))
