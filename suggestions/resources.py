"""The ledger (台账) of constituents' opinions as an Excel file: export only.

One row per item, in the columns a liaison office keeps its paper ledger in. The name
and phone are always masked: the ledger is printed, mailed and filed, and a full name
or number there is a leak. The lead department and the reply come from correlated
subqueries, so a ledger of any length is one query.
"""

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export import fields, widgets

from liaison import scoping
from liaison.crypto import mask_name
from liaison.resources import ScopedResource
from suggestions.models import Assignment, Case, FollowUp, Reply, Suggestion


def _label(choices, value) -> str:
    """The label of a stored choice value; the raw value if the choices no longer know it."""
    if not value:
        return ""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _local_date(value):
    # Excel has no time zones: a date in Beijing time is what the ledger means.
    return timezone.localdate(value) if value else None


def _latest_reply(case_ref: str) -> Subquery:
    return Subquery(
        Reply.objects.filter(case=OuterRef(case_ref))
        .exclude(public_text="")
        .order_by("-created_at", "-id")
        .values("public_text")[:1]
    )


def ledger_annotations() -> dict:
    """The computed columns: the lead department and the reply the constituent got.

    The lead is the latest lead assignment still handling or replied (a withdrawn or
    returned one is not who handled it). A merged item's constituent got the primary's
    reply, so that is the reply the ledger shows for it.
    """
    lead = (
        Assignment.objects.filter(
            case=OuterRef("pk"),
            role=Assignment.Role.LEAD,
            status__in=(Assignment.Status.ACTIVE, Assignment.Status.REPLIED),
        )
        .order_by("-assigned_at", "-id")
        .values("department__name")[:1]
    )
    return {
        "ledger_lead_department": Subquery(lead),
        "ledger_reply": Coalesce(_latest_reply("pk"), _latest_reply("merged_into_id")),
    }


class SuggestionLedgerResource(ScopedResource):
    """The ledger columns. Headers are translated; the name and phone are never exported
    whole."""

    tracking_code = fields.Field(
        attribute="tracking_code", column_name=_("Tracking code"), readonly=True
    )
    received = fields.Field(column_name=_("Received on"), readonly=True)
    channel = fields.Field(column_name=_("Channel"), readonly=True)
    station = fields.Field(attribute="station__name", column_name=_("Station"), readonly=True)
    region = fields.Field(attribute="region__name", column_name=_("Region"), readonly=True)
    category = fields.Field(attribute="category__name", column_name=_("Category"), readonly=True)
    title = fields.Field(attribute="title", column_name=_("Title"), readonly=True)
    content = fields.Field(attribute="content", column_name=_("Content"), readonly=True)
    name = fields.Field(column_name=_("Constituent (masked)"), readonly=True)
    phone = fields.Field(column_name=_("Mobile (masked)"), readonly=True)
    status = fields.Field(column_name=_("Status"), readonly=True)
    lead_department = fields.Field(
        attribute="ledger_lead_department", column_name=_("Lead department"), readonly=True
    )
    due_date = fields.Field(
        attribute="due_date", column_name=_("Due date"), readonly=True, widget=widgets.DateWidget()
    )
    replied = fields.Field(column_name=_("Replied on"), readonly=True)
    reply = fields.Field(attribute="ledger_reply", column_name=_("Reply"), readonly=True)
    satisfaction = fields.Field(column_name=_("Satisfaction"), readonly=True)
    year_end_sorting = fields.Field(column_name=_("Year-end sorting"), readonly=True)

    class Meta:
        model = Suggestion
        name = _("Ledger of constituents' opinions")
        fields = (
            "tracking_code",
            "received",
            "channel",
            "station",
            "region",
            "category",
            "title",
            "content",
            "name",
            "phone",
            "status",
            "lead_department",
            "due_date",
            "replied",
            "reply",
            "satisfaction",
            "year_end_sorting",
        )
        export_order = fields
        chunk_size = 500

    def get_user_visible_fields(self):
        # The export page lists the columns of the file (there is no import).
        return self.get_export_fields()

    def filter_export(self, queryset, **kwargs):
        queryset = super().filter_export(queryset, **kwargs)
        if self.user is not None:
            # The admin's queryset is scoped already; a resource used on its own is not.
            queryset = scoping.scope(queryset, self.user)
        if not queryset.query.order_by:
            # The admin passes the changelist's order; on its own, the ledger is in
            # the order the opinions came in.
            queryset = queryset.order_by("received_at", "pk")
        return queryset.select_related("station", "region", "category").annotate(
            **ledger_annotations()
        )

    def dehydrate_received(self, suggestion: Suggestion):
        return _local_date(suggestion.received_at)

    def dehydrate_channel(self, suggestion: Suggestion) -> str:
        return suggestion.get_channel_display()

    def dehydrate_name(self, suggestion: Suggestion) -> str:
        return mask_name(suggestion.name)

    def dehydrate_phone(self, suggestion: Suggestion) -> str:
        return suggestion.masked_phone

    def dehydrate_status(self, suggestion: Suggestion) -> str:
        return suggestion.get_status_display()

    def dehydrate_replied(self, suggestion: Suggestion):
        return _local_date(suggestion.replied_at)

    def dehydrate_satisfaction(self, suggestion: Suggestion) -> str:
        return _label(FollowUp.Rating, suggestion.satisfaction)

    def dehydrate_year_end_sorting(self, suggestion: Suggestion) -> str:
        return _label(Case.Outcome, suggestion.year_end_sorting)
