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
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from stations.models import Congress, Deputy, Station
from stations.selectors import station_by_code
from suggestions.models import Case, Category, DeputySuggestion, ResultClass
from suggestions.selectors import category_by_code
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
    ``lookup`` (code -> row or None) replaces the query, for rows read from a cache.
    """

    def __init__(self, *, upper: bool = False, lookup=None, **kwargs):
        self.upper = upper
        self.lookup = lookup
        super().__init__(slug_field="code", required=False, allow_null=True, default=None, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        data = data.strip()
        data = data.upper() if self.upper else data
        if self.lookup is None:
            return super().to_internal_value(data)
        try:
            row = self.lookup(data) if data and len(data) <= 64 else None
        except (TypeError, ValueError):  # e.g. a NUL byte, which PostgreSQL refuses
            self.fail("invalid")
        if row is None:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return row


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
        lookup=station_by_code,
        queryset=Station.objects.select_related("region"),
        error_messages={"does_not_exist": _("Unknown station."), "invalid": _("Unknown station.")},
    )
    deputy = CodeRelatedField(
        upper=True,
        queryset=Deputy.objects.select_related("region", "user"),
        error_messages={"does_not_exist": _("Unknown deputy."), "invalid": _("Unknown deputy.")},
    )
    category = CodeRelatedField(
        lookup=category_by_code,
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


# --- Shared shapes ----------------------------------------------------------------------
# Output serializers name every field they emit; names of constituents and their phones
# only ever leave through ``mask_name`` / ``mask_phone``, as the pages show them.


class PublicEventSerializer(TrackEventSerializer):
    """A line of the public timeline (what the constituent reads too)."""


class StaffEventSerializer(serializers.Serializer):
    """A line of the full timeline, as the department workspace and the admin show it."""

    kind = serializers.CharField()
    kind_display = serializers.CharField(source="get_kind_display")
    is_public = serializers.BooleanField()
    actor = serializers.SerializerMethodField()
    text = serializers.CharField(source="public_text")
    note = serializers.CharField()
    at = serializers.DateTimeField(source="created_at")

    def get_actor(self, event) -> str | None:
        # Staff and handlers are named as the page names them; constituents never act.
        if event.actor is None:
            return None
        return event.actor.get_full_name() or event.actor.get_username()


class AssignmentSerializer(serializers.Serializer):
    department = serializers.CharField(source="department.name")
    role = serializers.CharField()
    role_display = serializers.CharField(source="get_role_display")
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    assigned_at = serializers.DateTimeField()
    due_date = serializers.DateField()
    return_reason = serializers.CharField()


class ReplySerializer(serializers.Serializer):
    """A reply with its internal note: for the departments and the office only."""

    department = serializers.CharField(source="department.name", allow_null=True, default=None)
    addressee = serializers.CharField(source="addressee.name", allow_null=True, default=None)
    result_class = serializers.CharField()
    text = serializers.CharField(source="public_text")
    internal_note = serializers.CharField()
    at = serializers.DateTimeField(source="created_at")


class SignerSerializer(serializers.Serializer):
    """A signing deputy: ``id`` keys the department's reply to them."""

    id = serializers.IntegerField(source="pk")
    code = serializers.CharField()
    name = serializers.CharField()


class CodeNameSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ConstituentSerializer(serializers.Serializer):
    """Who raised an opinion, masked: 张* · 138****8000 (PIPL: no full value where a
    masked one does the job; a full number is revealed, and logged, in the admin)."""

    name = serializers.CharField()
    phone = serializers.CharField()
    do_not_contact = serializers.BooleanField()
    anonymised = serializers.BooleanField()


def constituent_of(suggestion) -> dict:
    from suggestions.views.workspace import mask_name

    anonymised = suggestion.anonymised_at is not None
    return {
        "name": "" if anonymised else mask_name(suggestion.name),
        "phone": "" if anonymised else suggestion.masked_phone,
        "do_not_contact": suggestion.do_not_contact,
        "anonymised": anonymised,
    }


# --- Public: rating a reply -----------------------------------------------------------


class RateSerializer(serializers.Serializer):
    """The body of ``POST /api/v1/suggestions/rate/``: the tracking page's credentials
    (code and the phone's last four digits) and the rating the rating page takes."""

    code = serializers.CharField(max_length=32)
    phone = serializers.RegexField(
        r"^[0-9]{4}$",
        error_messages={"invalid": _("Enter the last four digits of your mobile number.")},
    )
    rating = serializers.CharField(max_length=20)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class RateResultSerializer(serializers.Serializer):
    """What the rater gets back: the new state of the item, nothing personal."""

    tracking_code = serializers.CharField()
    rating = serializers.CharField()
    rating_display = serializers.CharField()
    status = serializers.CharField()
    reopened = serializers.BooleanField()


# --- Department handlers --------------------------------------------------------------


class DepartmentItemSerializer(serializers.Serializer):
    """One row of a handler's work list (an active assignment of their department)."""

    id = serializers.IntegerField(source="case_id")
    reference = serializers.SerializerMethodField()
    kind = serializers.CharField(source="case.kind")
    title = serializers.CharField(source="case.title")
    category = serializers.CharField(source="case.category.name", allow_null=True, default=None)
    region = serializers.CharField(source="case.region.name")
    status = serializers.CharField(source="case.status")
    status_display = serializers.CharField(source="case.get_status_display")
    department = serializers.CharField(source="department.name")
    role = serializers.CharField()
    assigned_at = serializers.DateTimeField()
    due_date = serializers.DateField()
    deadline = serializers.SerializerMethodField()

    def get_reference(self, assignment) -> str:
        from suggestions.views.workspace import _reference

        return _reference(assignment.case)

    def get_deadline(self, assignment) -> str:
        """``overdue``, ``soon`` or ``""``: the badge the work list shows."""
        from suggestions.views.workspace import deadline_state

        return deadline_state(assignment.due_date, self.context["today"])


class HeldSerializer(serializers.Serializer):
    department = serializers.CharField(source="department.name")
    role = serializers.CharField()
    due_date = serializers.DateField()


class DepartmentCaseSerializer(serializers.Serializer):
    """One item as the department workspace shows it. Context: ``today``, ``held``,
    ``actions``, ``suggestion`` (the constituent opinion or None), ``deputy_suggestion``,
    ``signers``, ``replies``."""

    id = serializers.IntegerField(source="pk")
    reference = serializers.SerializerMethodField()
    kind = serializers.CharField()
    title = serializers.CharField()
    content = serializers.CharField()
    category = serializers.CharField(source="category.name", allow_null=True, default=None)
    region = serializers.CharField(source="region.name")
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    received_at = serializers.DateTimeField()
    due_date = serializers.DateField(allow_null=True)
    deadline = serializers.SerializerMethodField()
    channel = serializers.SerializerMethodField()
    station = serializers.SerializerMethodField()
    constituent = serializers.SerializerMethodField()
    deputy = serializers.SerializerMethodField()
    signers = serializers.SerializerMethodField()
    held = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()
    assignments = AssignmentSerializer(many=True, source="assignments.all")
    replies = serializers.SerializerMethodField()
    events = StaffEventSerializer(many=True, source="events.all")

    def get_reference(self, case) -> str:
        from suggestions.views.workspace import _reference

        return _reference(case, self.context["deputy_suggestion"])

    def get_deadline(self, case) -> str:
        from suggestions.views.workspace import deadline_state

        held = self.context["held"]
        return deadline_state(held.due_date if held else None, self.context["today"])

    def get_channel(self, case) -> str | None:
        suggestion = self.context["suggestion"]
        return suggestion.channel if suggestion else None

    def get_station(self, case) -> str | None:
        suggestion = self.context["suggestion"]
        return suggestion.station.name if suggestion and suggestion.station else None

    @extend_schema_field(ConstituentSerializer(allow_null=True))
    def get_constituent(self, case):
        suggestion = self.context["suggestion"]
        return constituent_of(suggestion) if suggestion else None

    def get_deputy(self, case) -> str | None:
        """The deputy an opinion was addressed to, or a suggestion's lead deputy: a
        public figure, named, never with a phone."""
        suggestion = self.context["suggestion"]
        deputy_suggestion = self.context["deputy_suggestion"]
        if deputy_suggestion is not None:
            return deputy_suggestion.author.name
        return suggestion.deputy.name if suggestion and suggestion.deputy else None

    @extend_schema_field(SignerSerializer(many=True))
    def get_signers(self, case):
        return SignerSerializer(self.context["signers"], many=True).data

    @extend_schema_field(HeldSerializer(allow_null=True))
    def get_held(self, case):
        held = self.context["held"]
        return HeldSerializer(held).data if held else None

    def get_actions(self, case) -> list[str]:
        return self.context["actions"]

    @extend_schema_field(ReplySerializer(many=True))
    def get_replies(self, case):
        return ReplySerializer(self.context["replies"], many=True).data


class DepartmentReplyInputSerializer(serializers.Serializer):
    """A department's reply. To a constituent opinion (or as a co-handler): ``text`` and
    an optional ``internal_note``. The lead's answer to a deputy suggestion: a
    ``result_class`` code and ``replies``, one text per signing deputy keyed by the
    deputy's ``id`` from the item's ``signers``."""

    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    internal_note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000
    )
    result_class = CodeRelatedField(
        queryset=ResultClass.objects.all(),
        error_messages={
            "does_not_exist": _("Choose the result class."),
            "invalid": _("Choose the result class."),
        },
    )
    replies = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=2000), required=False, default=dict
    )

    def validate_replies(self, value):
        try:
            return {int(key): text for key, text in value.items()}
        except (TypeError, ValueError):
            raise serializers.ValidationError(
                _("Write one reply to each signing deputy.")
            ) from None


class ReturnInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


# --- Office staff ---------------------------------------------------------------------


class StaffSuggestionSerializer(serializers.Serializer):
    """A row of the office's list of opinions, as the admin's list shows it (masked)."""

    id = serializers.IntegerField(source="pk")
    tracking_code = serializers.CharField()
    title = serializers.CharField()
    category = serializers.CharField(source="category.name", allow_null=True, default=None)
    region = CodeNameSerializer()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    channel = serializers.CharField()
    received_at = serializers.DateTimeField()
    due_date = serializers.DateField(allow_null=True)
    overdue = serializers.SerializerMethodField()
    constituent = serializers.SerializerMethodField()

    def get_overdue(self, suggestion) -> bool:
        return suggestion.is_overdue(self.context.get("today"))

    @extend_schema_field(ConstituentSerializer)
    def get_constituent(self, suggestion):
        return constituent_of(suggestion)


class FollowUpSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    rating = serializers.CharField()
    rating_display = serializers.CharField(source="get_rating_display")
    method = serializers.CharField()
    comment = serializers.CharField()
    at = serializers.DateTimeField(source="created_at")


class StaffSuggestionDetailSerializer(StaffSuggestionSerializer):
    content = serializers.CharField()
    station = serializers.CharField(source="station.name", allow_null=True, default=None)
    deputy = serializers.CharField(source="deputy.name", allow_null=True, default=None)
    replied_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    reopen_count = serializers.IntegerField()
    satisfaction = serializers.CharField()
    outcome = serializers.CharField(source="year_end_sorting")
    assignments = AssignmentSerializer(many=True, source="assignments.all")
    replies = ReplySerializer(many=True, source="replies.all")
    follow_ups = FollowUpSerializer(many=True, source="follow_ups.all")
    events = StaffEventSerializer(many=True, source="events.all")


class AssignInputSerializer(serializers.Serializer):
    """The admin's "Assign or re-assign" action as JSON. Departments are named by id;
    ``time_limit_days`` empty means the routing rule's limit, else the default."""

    lead = serializers.IntegerField()
    co_handlers = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list, max_length=50
    )
    time_limit_days = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=250
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)

    def validate(self, attrs):
        if attrs["lead"] in attrs["co_handlers"]:
            raise serializers.ValidationError(
                {"co_handlers": [_("The lead department cannot also be a co-handler.")]}
            )
        return attrs


# --- Deputies: the reception ledger -----------------------------------------------------


class MatterInputSerializer(serializers.Serializer):
    """One matter raised at a reception; ``reception_log`` decides what is acceptable."""

    content = serializers.CharField(required=False, allow_blank=True, default="")
    category = CodeRelatedField(
        queryset=Category.objects.all(),
        error_messages={
            "does_not_exist": _("Choose a category."),
            "invalid": _("Choose a category."),
        },
    )
    handling = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)
    answer = serializers.CharField(required=False, allow_blank=True, default="")
    name = serializers.CharField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=30)


class ReceptionInputSerializer(serializers.Serializer):
    """``POST /api/v1/deputy/receptions/``: station and deputies by their public codes."""

    station = CodeRelatedField(
        upper=True,
        queryset=Station.objects.select_related("region"),
        error_messages={"does_not_exist": _("Unknown station."), "invalid": _("Unknown station.")},
    )
    date = serializers.DateField(required=False, allow_null=True, default=None)
    deputies = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, default=list, max_length=100
    )
    visitors = serializers.IntegerField(required=False, allow_null=True, default=None)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    matters = MatterInputSerializer(many=True, required=False, default=list)

    def validate_deputies(self, codes):
        codes = list(dict.fromkeys(code.strip().upper() for code in codes))
        found = {d.code: d for d in Deputy.objects.filter(code__in=codes)}
        if len(found) != len(codes):
            raise serializers.ValidationError(_("Unknown deputy."))
        return [found[code] for code in codes]


class ReceptionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    station = CodeNameSerializer()
    date = serializers.DateField()
    source = serializers.CharField()
    visitors = serializers.IntegerField()
    deputies = serializers.SerializerMethodField()
    matter_count = serializers.SerializerMethodField()
    passed_on_count = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_deputies(self, reception) -> list[str]:
        return [deputy.name for deputy in reception.deputies.all()]

    def get_matter_count(self, reception) -> int:
        if hasattr(reception, "matter_count"):
            return reception.matter_count
        return len(reception.matters.all())

    def get_passed_on_count(self, reception) -> int:
        if hasattr(reception, "passed_on_count"):
            return reception.passed_on_count
        return sum(1 for matter in reception.matters.all() if matter.suggestion_id)


class MatterSuggestionSerializer(serializers.Serializer):
    tracking_code = serializers.CharField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")


class MatterSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    content = serializers.CharField()
    category = serializers.CharField(source="category.name")
    handling = serializers.CharField()
    answer = serializers.CharField()
    constituent = serializers.SerializerMethodField()
    suggestion = serializers.SerializerMethodField()

    @extend_schema_field(ConstituentSerializer)
    def get_constituent(self, matter):
        from suggestions.views.workspace import mask_name

        suggestion = matter.suggestion
        if suggestion is not None:
            return constituent_of(suggestion)
        return {
            "name": mask_name(matter.name),
            "phone": matter.masked_phone,
            "do_not_contact": False,
            "anonymised": False,
        }

    @extend_schema_field(MatterSuggestionSerializer(allow_null=True))
    def get_suggestion(self, matter):
        # The tracking code is what the deputy tells the visitor, as the page shows it.
        if matter.suggestion is None:
            return None
        return MatterSuggestionSerializer(matter.suggestion).data


class ReceptionDetailSerializer(ReceptionSerializer):
    summary = serializers.CharField()
    matters = MatterSerializer(many=True, source="matters.all")


# --- Deputies: formal deputy suggestions -------------------------------------------------


class DeputySuggestionSerializer(serializers.Serializer):
    """A row of the deputy's list; the queryset carries the page's annotations
    (``my_cosign``, ``waiting``)."""

    id = serializers.IntegerField(source="pk")
    number = serializers.SerializerMethodField()
    title = serializers.CharField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    congress = serializers.CharField(source="congress.name")
    category = serializers.CharField(source="category.name", allow_null=True, default=None)
    author = serializers.CharField(source="author.name")
    is_author = serializers.SerializerMethodField()
    my_cosign = serializers.CharField(allow_null=True)
    waiting = serializers.BooleanField()
    result_class = serializers.CharField(source="result_class.code", allow_null=True, default=None)
    received_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    due_date = serializers.DateField(allow_null=True)

    def get_number(self, suggestion) -> str:
        return f"{suggestion.year}-{suggestion.number}" if suggestion.number else ""

    def get_is_author(self, suggestion) -> bool:
        return suggestion.author_id == self.context["deputy"].pk


class CoSignerSerializer(serializers.Serializer):
    code = serializers.CharField(source="deputy.code")
    name = serializers.CharField(source="deputy.name")
    status = serializers.CharField()


class DeputyReplyToMeSerializer(serializers.Serializer):
    department = serializers.CharField(source="department.name", allow_null=True, default=None)
    result_class = serializers.CharField()
    text = serializers.CharField(source="public_text")
    at = serializers.DateTimeField(source="created_at")


class DeputySuggestionDetailSerializer(DeputySuggestionSerializer):
    """Context: ``deputy``, ``cosigners``, ``signers``, ``assignments``, ``replies``,
    ``ratings``, ``events``, ``actions``."""

    content = serializers.CharField()
    timing = serializers.CharField()
    office_note = serializers.CharField()
    cosigners = serializers.SerializerMethodField()
    signers = serializers.SerializerMethodField()
    assignments = serializers.SerializerMethodField()
    replies = serializers.SerializerMethodField()
    my_ratings = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    @extend_schema_field(CoSignerSerializer(many=True))
    def get_cosigners(self, suggestion):
        return CoSignerSerializer(self.context["cosigners"], many=True).data

    @extend_schema_field(SignerSerializer(many=True))
    def get_signers(self, suggestion):
        return SignerSerializer(self.context["signers"], many=True).data

    @extend_schema_field(AssignmentSerializer(many=True))
    def get_assignments(self, suggestion):
        return AssignmentSerializer(self.context["assignments"], many=True).data

    @extend_schema_field(DeputyReplyToMeSerializer(many=True))
    def get_replies(self, suggestion):
        return DeputyReplyToMeSerializer(self.context["replies"], many=True).data

    @extend_schema_field(FollowUpSerializer(many=True))
    def get_my_ratings(self, suggestion):
        return FollowUpSerializer(self.context["ratings"], many=True).data

    @extend_schema_field(TrackEventSerializer(many=True))
    def get_events(self, suggestion):
        return TrackEventSerializer(self.context["events"], many=True).data

    def get_actions(self, suggestion) -> list[str]:
        return self.context["actions"]


class DeputySuggestionInputSerializer(serializers.Serializer):
    """A new draft: ``congress`` by id (one the deputy sits in), ``category`` by code,
    ``source_cases``: ids of opinions the deputy marked for promotion."""

    congress = serializers.PrimaryKeyRelatedField(
        queryset=Congress.objects.all(),
        error_messages={
            "does_not_exist": _("You are not a deputy to this congress."),
            "incorrect_type": _("You are not a deputy to this congress."),
            "required": _("Choose the congress."),
            "null": _("Choose the congress."),
        },
    )
    title = serializers.CharField(required=False, allow_blank=True, default="")
    content = serializers.CharField(required=False, allow_blank=True, default="")
    category = CodeRelatedField(
        queryset=Category.objects.filter(is_active=True),
        error_messages={
            "does_not_exist": _("Unknown category."),
            "invalid": _("Unknown category."),
        },
    )
    timing = serializers.CharField(
        required=False, allow_blank=True, default=DeputySuggestion.Timing.INTERIM, max_length=10
    )
    source_cases = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list, max_length=50
    )

    def validate_source_cases(self, ids):
        ids = list(dict.fromkeys(ids))
        cases = list(Case.objects.filter(pk__in=ids))
        if len(cases) != len(ids):
            raise serializers.ValidationError(
                _("Only opinions you marked for promotion can be used.")
            )
        return cases


class DeputySuggestionEditSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, allow_blank=True, default="")
    content = serializers.CharField(required=False, allow_blank=True, default="")
    category = CodeRelatedField(
        queryset=Category.objects.filter(is_active=True),
        error_messages={
            "does_not_exist": _("Unknown category."),
            "invalid": _("Unknown category."),
        },
    )


class InviteInputSerializer(serializers.Serializer):
    deputies = serializers.ListField(
        child=serializers.CharField(max_length=20), allow_empty=False, max_length=50
    )

    def validate_deputies(self, codes):
        return ReceptionInputSerializer().validate_deputies(codes)


class CosignInputSerializer(serializers.Serializer):
    answer = serializers.ChoiceField(
        choices=[("confirm", _("Confirm")), ("decline", _("Decline"))],
        error_messages={"invalid_choice": _("Answer confirm or decline.")},
    )


class DeputyRateInputSerializer(serializers.Serializer):
    rating = serializers.CharField(max_length=20)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
