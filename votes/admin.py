"""The office's side of livelihood-project ballots (票决制) in the Django admin.

Staff set up a cycle and its candidates, then walk it through its phases with the step
buttons on its page, each a call into ``votes.services``. Once voting opens the rules and
the candidate list are shown read-only, and an attempt to change them (a page loaded
before voting opened) is refused with the model's error.

Secrecy: ``Ballot``, ``Mark`` and ``RollEntry`` are deliberately not registered here, so
they have no admin URL at all, for anyone. The paper tally entries are reached only
through the tally entry page (``votes.admin_rounds``).
"""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from liaison import scoping
from liaison.admin import ReadOnlyAdmin, ScopedAdmin, ScopedInline
from stations.models import Congress, Level
from votes.admin_forms import BallotCycleForm, CandidateInlineForm, CandidateInlineFormSet
from votes.admin_rounds import CyclePagesMixin, result_rows, rounds_of, steps_for
from votes.models import BallotCycle, Candidate, Choice, RoundResult

FROZEN_RULES = ["congress", "year", "places", "margin_ratio", "threshold_basis", "tie_rule"]


class CandidateInline(ScopedInline, admin.TabularInline):
    model = Candidate
    form = CandidateInlineForm
    formset = CandidateInlineFormSet
    extra = 0
    fields = [
        "number",
        "title",
        "description",
        "location",
        "investment",
        "responsible_unit",
        "planned_completion",
        "selected",
        "final_rank",
    ]
    readonly_fields = ["selected", "final_rank"]
    ordering = ["number"]

    # Deputies have seen the list once voting opens: it is shown, not edited.
    def has_add_permission(self, request, obj=None):
        return not (obj and obj.is_frozen) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not (obj and obj.is_frozen) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj and obj.is_frozen) and super().has_delete_permission(request, obj)


@admin.register(BallotCycle)
class BallotCycleAdmin(CyclePagesMixin, ScopedAdmin):
    form = BallotCycleForm
    list_display = [
        "title",
        "congress",
        "year",
        "phase",
        "places",
        "candidate_count",
        "required_candidates",
    ]
    list_select_related = ["congress"]
    list_filter = ["phase", "year", "congress__level", "threshold_basis"]
    search_fields = ["title", "congress__name"]
    autocomplete_fields = ["congress"]
    inlines = [CandidateInline]
    ordering = ["-year", "congress_id"]
    change_form_template = "admin/votes/ballotcycle/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(candidate_count=Count("candidates"))

    @admin.display(description=_("candidates"), ordering="candidate_count")
    def candidate_count(self, cycle: BallotCycle) -> int:
        return cycle.candidate_count

    @admin.display(description=_("candidates required"))
    def required_candidates(self, cycle: BallotCycle) -> int:
        return cycle.required_candidates

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ("congress", "year", "title", "session")}),
            (
                _("Rules"),
                {
                    "fields": ("places", "margin_ratio", "threshold_basis", "tie_rule"),
                    "description": _("Frozen when voting opens: deputies vote under these rules."),
                },
            ),
            (_("Proposals"), {"fields": ("collect_until", "notes")}),
        ]
        if obj is not None:
            fieldsets.append(
                (
                    _("Progress"),
                    {"fields": ("phase", "rules_frozen_at", "published_at", "evaluated_at")},
                )
            )
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = ["phase", "rules_frozen_at", "published_at", "evaluated_at"]
        if obj is not None and obj.is_frozen:
            readonly += FROZEN_RULES
        return readonly

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "congress":
            # Ballots are held by county and township congresses of the user's region.
            kwargs["queryset"] = scoping.scope(
                Congress.objects.filter(level__in=[Level.COUNTY, Level.TOWNSHIP]), request.user
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        # A cycle whose voting opened holds the record of a vote: it stays.
        if obj is not None and obj.is_frozen:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        # The bulk delete would skip the per-cycle check above.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        if change:
            # Only what the form edits: the phase and the freeze belong to the services,
            # and this copy of the row may be older than theirs.
            obj.save(update_fields=list(form.fields))
        else:
            obj.save()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and change:
            rounds = rounds_of(obj)
            may_change = self.has_change_permission(request, obj)
            context.update(
                candidates_now=obj.candidates.count(),
                steps=steps_for(obj, rounds) if may_change else [],
                may_change=may_change,
                rounds=[
                    (
                        round_,
                        [Choice(c).label for c in round_.choices],
                        result_rows(round_, round_.results.all()),
                    )
                    for round_ in rounds
                ],
                events=list(obj.events.select_related("actor").order_by("created_at", "id")),
                may_tally=request.user.has_perm("votes.enter_tally"),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)


@admin.register(RoundResult)
class RoundResultAdmin(ReadOnlyAdmin, ScopedAdmin):
    """The count's results, as the services stored them."""

    list_display = ["round", "candidate", "votes", "score", "passed", "rank", "selected", "tied"]
    list_select_related = ["round", "round__cycle", "candidate"]
    list_filter = ["selected", "tied", "passed", "round__kind"]
    search_fields = ["candidate__title", "round__cycle__title"]
    ordering = ["-round__cycle__year", "round__cycle_id", "round__number", "rank"]

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("votes by choice"))
    def votes(self, result: RoundResult) -> str:
        return " · ".join(
            f"{Choice(choice).label} {count}" for choice, count in (result.counts or {}).items()
        )


from votes import admin_projects, admin_proposals  # noqa: E402, F401
