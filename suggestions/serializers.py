"""Serializers of the public suggestions API: they parse input and shape output only.

Whether an opinion may be accepted is the service's decision
(``services.suggestion_submit``), so the web form and the API refuse the same things
with the same messages. The serializers check types and resolve public codes to rows;
the output serializers name every field they emit, so nothing personal (name, phone,
internal notes, who did what) can leak by a model field being added later.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from stations.models import Deputy, Station
from suggestions.models import Category
from suggestions.services import rating_token

TRACK_PHONE_DIGITS = 4


def absolute_url(request, path: str) -> str:
    """An absolute link: the configured site origin, else the origin of the request."""
    if settings.SITE_URL:
        return settings.SITE_URL + path
    return request.build_absolute_uri(path)


class CodeRelatedField(serializers.SlugRelatedField):
    """A row named by its public code, as printed on posters and QR codes.

    Station and deputy codes are capitals and digits; what people type is normalised
    before the lookup. Inactive rows are resolved too, so the service can say why it
    refuses them ("This station is closed.") instead of pretending they do not exist.
    """

    def __init__(self, *, upper: bool = False, **kwargs):
        self.upper = upper
        super().__init__(slug_field="code", required=False, allow_null=True, default=None, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        data = data.strip()
        return super().to_internal_value(data.upper() if self.upper else data)


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["code", "name"]


class SuggestionSubmitSerializer(serializers.Serializer):
    """The JSON body of ``POST /api/v1/suggestions/``.

    Everything is optional at this level: a missing title, phone or consent reaches the
    service as an empty value and is refused there, with the web form's messages.
    """

    station = CodeRelatedField(
        upper=True,
        queryset=Station.objects.select_related("region"),
        error_messages={"does_not_exist": _("Unknown station."), "invalid": _("Unknown station.")},
    )
    deputy = CodeRelatedField(
        upper=True,
        queryset=Deputy.objects.select_related("region", "user"),
        error_messages={"does_not_exist": _("Unknown deputy."), "invalid": _("Unknown deputy.")},
    )
    category = CodeRelatedField(
        queryset=Category.objects.all(),
        error_messages={
            "does_not_exist": _("Unknown category."),
            "invalid": _("Unknown category."),
        },
    )
    title = serializers.CharField(required=False, allow_blank=True, default="")
    content = serializers.CharField(required=False, allow_blank=True, default="")
    name = serializers.CharField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(required=False, allow_blank=True, default="")
    do_not_contact = serializers.BooleanField(required=False, default=False)
    consent = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        # Photos need the web form (multipart upload); refusing them out loud is better
        # than accepting the opinion and silently dropping what the client sent.
        if "photos" in self.initial_data:
            raise serializers.ValidationError(
                {"photos": [_("Photos cannot be sent through the API; use the web form.")]}
            )
        return attrs


class SubmissionReceiptSerializer(serializers.Serializer):
    """What a submitter gets back: the tracking code and where to follow it, no more."""

    tracking_code = serializers.CharField()
    status = serializers.CharField()
    received_at = serializers.DateTimeField()
    track_url = serializers.SerializerMethodField()

    def get_track_url(self, suggestion) -> str:
        path = reverse("suggestions:track") + "?" + urlencode({"code": suggestion.tracking_code})
        return absolute_url(self.context["request"], path)


class TrackQuerySerializer(serializers.Serializer):
    """The query string of ``GET /api/v1/suggestions/track/``."""

    code = serializers.CharField(max_length=32)
    phone = serializers.RegexField(
        r"^[0-9]{4}$",
        error_messages={"invalid": _("Enter the last four digits of your mobile number.")},
    )


class TrackEventSerializer(serializers.Serializer):
    kind = serializers.CharField()
    kind_display = serializers.CharField(source="get_kind_display")
    text = serializers.CharField(source="public_text")
    at = serializers.DateTimeField(source="created_at")


class TrackReplySerializer(serializers.Serializer):
    text = serializers.CharField(source="public_text")
    at = serializers.DateTimeField(source="created_at")


class SuggestionTrackSerializer(serializers.Serializer):
    """The public view of one opinion, for the person who holds its code and phone.

    Context: ``request``, ``events`` (the public timeline), ``reply`` (the public reply
    or None) and ``awaiting_rating`` (whether the rating link is open).
    """

    tracking_code = serializers.CharField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    category = serializers.CharField(source="category.name", allow_null=True)
    title = serializers.CharField()
    station = serializers.CharField(source="station.name", allow_null=True)
    received_at = serializers.DateTimeField()
    due_date = serializers.DateField(allow_null=True)
    events = serializers.SerializerMethodField()
    reply = serializers.SerializerMethodField()
    rating_url = serializers.SerializerMethodField()

    def get_events(self, suggestion) -> list[dict]:
        return TrackEventSerializer(self.context["events"], many=True).data

    def get_reply(self, suggestion) -> dict | None:
        reply = self.context["reply"]
        return TrackReplySerializer(reply).data if reply is not None else None

    def get_rating_url(self, suggestion) -> str | None:
        if not self.context["awaiting_rating"]:
            return None
        path = reverse("suggestions:rate", args=[rating_token(suggestion)])
        return absolute_url(self.context["request"], path)
