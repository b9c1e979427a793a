"""Proposals (征集) and their screening (审核) in the admin, and the negative list.

The office adds proposals of its own or a department's through ``proposal_submit``,
screens them with ``proposal_screen`` and turns accepted ones into candidates with
``candidate_from_proposals``: what a proposer wrote is never typed over.
"""

from decimal import Decimal

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from liaison import regions, scoping
from liaison.admin import IntermediateActionMixin, ScopedAdmin
from votes import services
from votes.admin_forms import (
    CandidateFromProposalsForm,
    NegativeListItemForm,
    ProposalAddForm,
    ScreenForm,
    service_error,
)
from votes.models import BallotCycle, NegativeListItem, Phase, Proposal
from votes.models.cycles import TEXT_MAX

SCREENING_PHASES = [Phase.COLLECTING, Phase.SCREENING]


def negative_items_for(region_codes):
    """Active negative-list items that apply in any of these regions: those for
    everywhere, for the region or a region above it, or for a part of it."""
    query = Q(region__isnull=True)
    for code in set(region_codes):
        query |= Q(region_id__in=regions.ancestors_of(code))
        query |= Q(region__code__startswith=regions.prefix_of(code))
    return NegativeListItem.objects.filter(query, is_active=True).order_by("sort_order", "id")


def negative_items_visible(queryset, user):
    """The negative list as a user sees it: items for everywhere, for their region and
    above (they apply there too), and for any part of their region."""
    if scoping.sees_everything(user):
        return queryset
    if not getattr(user, "region_id", None):
        return queryset.none()
    return queryset.filter(
        Q(region__isnull=True)
        | Q(region_id__in=regions.ancestors_of(user.region_id))
        | Q(region__code__startswith=user.region_prefix)
    )


@admin.register(NegativeListItem)
class NegativeListItemAdmin(ScopedAdmin):
    """The negative list. Everyone in the office reads the items that apply to them;
    an item is changed by the office whose region contains it (``votes.rules``)."""

    form = NegativeListItemForm
    list_display = ["text", "applies_in", "sort_order", "is_active"]
    list_select_related = ["region"]
    list_filter = ["is_active"]
    search_fields = ["text"]
    autocomplete_fields = ["region"]
    ordering = ["sort_order", "id"]

    def get_queryset(self, request):
        # Not ScopedAdmin's filter: items for everywhere and for the regions above apply
        # here too, and staff must see them to screen by them.
        queryset = super(ScopedAdmin, self).get_queryset(request)
        return negative_items_visible(queryset, request.user)

    @admin.display(description=_("applies in"), ordering="region_id")
    def applies_in(self, item: NegativeListItem) -> str:
        return item.region.name if item.region_id else gettext("Everywhere")

    # Django's ModelAdmin asks for the model permission only; the rule depends on the
    # item's region, so ask with the item.
    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("votes.change_negativelistitem", obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm("votes.delete_negativelistitem", obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})


class ProposalActionsMixin(IntermediateActionMixin):
    """Admin actions with an intermediate form page, reporting each refusal."""

    action_template = "admin/votes/action_form.html"


PROPOSAL_FIELDS = [
    "cycle",
    "source",
    "deputy",
    "department_name",
    "title",
    "content",
    "location",
    "estimated_investment",
    "submitted_by",
    "created_at",
]
SCREENING_FIELDS = [
    "status",
    "public_benefit",
    "feasible",
    "affordable",
    "screening_reason",
    "negative_list",
    "screened_by",
    "screened_at",
    "candidate",
]


@admin.register(Proposal)
class ProposalAdmin(ProposalActionsMixin, ScopedAdmin):
    list_display = ["title", "cycle", "source", "status", "created_at", "candidate"]
    list_select_related = ["cycle", "candidate"]
    list_filter = ["status", "source", ("cycle", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title"]
    ordering = ["-created_at", "-id"]
    actions = ["screen_proposals", "make_candidate"]
    change_form_template = "admin/votes/proposal/change_form.html"

    # -- Adding: the office's own proposals or a department's, through the service

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (
                    None,
                    {
                        "fields": (
                            "cycle",
                            "source",
                            "department_name",
                            "title",
                            "content",
                            "location",
                            "estimated_investment",
                        ),
                        "description": _(
                            "Proposals from the public and deputies come in through their own "
                            "pages; here the office enters its own or a department's."
                        ),
                    },
                )
            ]
        return [
            (_("The proposal"), {"fields": PROPOSAL_FIELDS}),
            (_("Screening"), {"fields": SCREENING_FIELDS}),
        ]

    def get_readonly_fields(self, request, obj=None):
        # What the proposer wrote is not typed over; screening goes through its action.
        return [] if obj is None else [*PROPOSAL_FIELDS, *SCREENING_FIELDS]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ProposalAddForm
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user}) if obj is None else form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "cycle":
            kwargs["queryset"] = scoping.scope(
                BallotCycle.objects.filter(phase__in=SCREENING_PHASES), request.user
            ).order_by("-year", "congress_id")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        # On add, the service saved it while the form was validated.

    @admin.display(description=_("negative-list items"))
    def negative_list(self, proposal: Proposal) -> str:
        return "、".join(item.text for item in proposal.negative_items.all()) or "—"

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and change:
            context["action_checkbox_name"] = helpers.ACTION_CHECKBOX_NAME
            context["proposal_actions"] = (
                self._offered(obj) if self.has_change_permission(request, obj) else []
            )
            context.update(show_save=False, show_save_and_continue=False)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _offered(self, proposal: Proposal) -> list[tuple[str, str]]:
        if proposal.cycle.phase not in SCREENING_PHASES:
            return []
        offered = [("screen_proposals", gettext("Screen…"))]
        if proposal.status == Proposal.Status.ACCEPTED and not proposal.candidate_id:
            offered.append(("make_candidate", gettext("Make a candidate…")))
        return offered

    # -- Screening

    @admin.action(description=_("Screen the selected proposals…"), permissions=["change"])
    def screen_proposals(self, request, queryset):
        items = list(queryset.select_related("cycle", "cycle__congress"))
        if self._too_many(request, items):
            return self._finish(request)
        negative = negative_items_for(
            [p.cycle.congress.region_id for p in items if p.cycle.congress.region_id]
        )
        applying = "apply" in request.POST
        form = ScreenForm(request.POST if applying else None, negative_items=negative)
        if applying and form.is_valid():
            data = form.cleaned_data
            done = 0
            for proposal in items:
                try:
                    services.proposal_screen(
                        proposal=proposal,
                        accept=data["decision"] == "accept",
                        reason=data["reason"],
                        public_benefit=data["public_benefit"],
                        feasible=data["feasible"],
                        affordable=data["affordable"],
                        negative_items=data["negative_items"],
                        by=request.user,
                    )
                except ValidationError as exc:
                    self.message_user(
                        request,
                        gettext("“%(title)s”: %(error)s")
                        % {"title": proposal.title, "error": " ".join(exc.messages)},
                        messages.ERROR,
                    )
                else:
                    done += 1
            if done:
                self.message_user(
                    request, gettext("Screened: %(count)s.") % {"count": done}, messages.SUCCESS
                )
            return self._finish(request)
        return self._intermediate(
            request,
            action="screen_proposals",
            items=items,
            form=form,
            title=_("Screen proposals"),
            submit_label=_("Record the decision"),
            intro=_(
                "A proposal is accepted only if it is of public benefit, feasible this year "
                "and within fiscal capacity, and falls under no negative-list item. Give "
                "the reason when it is not accepted."
            ),
        )

    # -- Candidates from accepted proposals

    @admin.action(
        description=_("Make a candidate from the selected accepted proposals…"),
        permissions=["change"],
    )
    def make_candidate(self, request, queryset):
        items = list(queryset.select_related("cycle"))
        if self._too_many(request, items):
            return self._finish(request)
        if len({p.cycle_id for p in items}) != 1:
            self.message_user(
                request,
                gettext("Select proposals of one cycle to make a candidate."),
                messages.WARNING,
            )
            return self._finish(request)
        cycle = items[0].cycle
        investments = [p.estimated_investment for p in items if p.estimated_investment]
        initial = {
            "title": items[0].title,
            "description": "\n\n".join(p.content for p in items)[:TEXT_MAX],
            "investment": sum(investments, Decimal("0")) if investments else None,
            "location": items[0].location,
        }
        applying = "apply" in request.POST
        form = CandidateFromProposalsForm(request.POST if applying else None, initial=initial)
        if applying and form.is_valid():
            try:
                candidate = services.candidate_from_proposals(
                    cycle=cycle, proposals=items, by=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                service_error(form, exc)
            else:
                self.message_user(
                    request,
                    format_html(
                        '{} <a href="{}">{}</a>',
                        gettext("Candidate added:"),
                        reverse("admin:votes_ballotcycle_change", args=[cycle.pk]),
                        str(candidate),
                    ),
                    messages.SUCCESS,
                )
                return self._finish(request)
        return self._intermediate(
            request,
            action="make_candidate",
            items=items,
            form=form,
            title=_("Make a candidate project"),
            submit_label=_("Add to the candidate list"),
            intro=_(
                "Similar proposals may become one candidate. Only accepted proposals of a "
                "cycle that is collecting or screening can."
            ),
        )
