"""Forms of the deputies' pages for formal deputy suggestions (代表建议).

As in the workspaces, the forms check the shape of the input and offer the right
choices; the rules (who may, in which status, which congress) live in
``suggestions.deputy_suggestions`` and ``suggestions.services``, whose
``ValidationError`` the view puts back on the form with ``add_service_error``.
"""

from django import forms
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from stations.models import Congress, Deputy
from suggestions.models import (
    Case,
    Category,
    CoSigner,
    DeputySuggestion,
    FollowUp,
    Suggestion,
    validate_not_markup,
)
from suggestions.workspace_forms import WorkspaceForm

TITLE_MAX = 100
# The service's limit (CONTENT_MAX × 5): a formal suggestion argues its case at length.
SUGGESTION_CONTENT_MAX = 10_000
COMMENT_MAX = 500
# How many opinions or fellow deputies a choice list offers at once.
SOURCE_CHOICES_MAX = 50
COSIGNER_CHOICES_MAX = 200


def _textarea(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def member_congresses(deputy: Deputy) -> QuerySet[Congress]:
    """The congresses the deputy holds an active seat in."""
    return (
        Congress.objects.filter(memberships__deputy=deputy, memberships__is_active=True)
        .select_related("region")
        .order_by("region_id", "level")
        .distinct()
    )


def promoted_opinions(deputy: Deputy) -> QuerySet[Suggestion]:
    """Constituents' opinions addressed to the deputy and marked for a formal suggestion,
    not yet made into one; the most recent first, at most ``SOURCE_CHOICES_MAX``."""
    used = DeputySuggestion.source_cases.through.objects.filter(case_id=OuterRef("pk"))
    recent = (
        Suggestion.objects.filter(deputy=deputy, status=Case.Status.PROMOTED)
        .exclude(Exists(used))
        .order_by("-received_at", "-pk")
        .values("pk")[:SOURCE_CHOICES_MAX]
    )
    return Suggestion.objects.filter(pk__in=Subquery(recent)).order_by("-received_at", "-pk")


class OpinionsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, suggestion: Suggestion) -> str:
        return f"#{suggestion.pk} {suggestion.title}（{suggestion.received_at:%Y-%m-%d}）"


class DeputiesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, deputy: Deputy) -> str:
        return f"{deputy.name}（{deputy.region.name}）"


class SuggestionTextFields(WorkspaceForm):
    """Title, text and category: what a new draft and an edited draft share."""

    title = forms.CharField(
        label=_("Title"),
        max_length=TITLE_MAX,
        error_messages={"required": _("Give the suggestion a title.")},
        validators=[validate_not_markup],
        help_text=_("e.g. “Suggestion on repairing the Huang–Gao road”."),
    )
    content = forms.CharField(
        label=_("Suggestion"),
        max_length=SUGGESTION_CONTENT_MAX,
        error_messages={"required": _("Write what you suggest and why.")},
        validators=[validate_not_markup],
        widget=_textarea(10),
        help_text=_("The situation, the reasons and what you ask for, as plain text."),
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("No category"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(is_active=True).order_by(
            "sort_order", "code"
        )


class SuggestionForm(SuggestionTextFields):
    """A new draft: to a congress the deputy sits in, possibly made from opinions."""

    action = "draft"
    field_order = ["congress", "title", "content", "category", "timing", "source_cases"]

    congress = forms.ModelChoiceField(
        label=_("To the congress"),
        queryset=Congress.objects.none(),
        empty_label=None,
        error_messages={"required": _("Choose the congress you submit it to.")},
    )
    timing = forms.ChoiceField(
        label=_("Submitted"),
        choices=DeputySuggestion.Timing.choices,
        initial=DeputySuggestion.Timing.INTERIM,
        widget=forms.RadioSelect,
    )
    source_cases = OpinionsField(
        label=_("From my promoted opinions"),
        queryset=Suggestion.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Opinions constituents addressed to you that you marked for a formal "
            "suggestion. They hear the final result."
        ),
    )

    def __init__(self, *args, deputy: Deputy, **kwargs):
        super().__init__(*args, **kwargs)
        congresses = member_congresses(deputy)
        self.fields["congress"].queryset = congresses
        self.fields["source_cases"].queryset = promoted_opinions(deputy)


class EditForm(SuggestionTextFields):
    """The lead deputy corrects the draft, e.g. after the office returned it."""

    action = "edit"


class InviteForm(WorkspaceForm):
    """Fellow deputies of the same congress to invite as co-signers (联名).

    The list offers at most ``COSIGNER_CHOICES_MAX`` names, narrowed by ``find``; the
    choice is checked against every fellow member, so a name chosen from a narrowed list
    is still accepted after the list changes.
    """

    action = "invite"

    deputies = DeputiesField(
        label=_("Deputies to invite"),
        queryset=Deputy.objects.none(),
        error_messages={"required": _("Choose at least one deputy.")},
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Deputies of the same congress. They confirm or decline on their own page."),
    )

    def __init__(self, *args, suggestion: DeputySuggestion, find: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        invited = CoSigner.objects.filter(suggestion=suggestion).values("deputy_id")
        candidates = (
            Deputy.objects.filter(
                memberships__congress_id=suggestion.congress_id,
                memberships__is_active=True,
                is_active=True,
            )
            .exclude(pk=suggestion.author_id)
            .exclude(pk__in=invited)
            .select_related("region")
            .order_by("name", "code")
        )
        field = self.fields["deputies"]
        field.queryset = candidates
        self.find = (find or "").strip()[:50]
        shown = candidates.filter(name__icontains=self.find) if self.find else candidates
        shown = list(shown[: COSIGNER_CHOICES_MAX + 1])
        self.truncated = len(shown) > COSIGNER_CHOICES_MAX
        # Render the bounded list; validate against all candidates (the queryset).
        field.widget.choices = [
            (deputy.pk, field.label_from_instance(deputy))
            for deputy in shown[:COSIGNER_CHOICES_MAX]
        ]
        self.has_candidates = bool(shown) or bool(self.find)


class SubmitForm(WorkspaceForm):
    """Submitting the draft to the office: a button, and the refusals shown above it."""

    action = "submit"


class RespondForm(WorkspaceForm):
    """An invited deputy confirms or declines signing."""

    action = "respond"

    answer = forms.ChoiceField(choices=[("confirm", _("Confirm")), ("decline", _("Decline"))])


class RateForm(WorkspaceForm):
    """A signing deputy rates the reply addressed to them (满意/基本满意/不满意)."""

    action = "rate"
    text_field = "comment"

    rating = forms.ChoiceField(
        label=_("Are you satisfied with the reply?"),
        choices=[
            (value, label)
            for value, label in FollowUp.Rating.choices
            if value != FollowUp.Rating.NOT_RATED
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose satisfied, basically satisfied or unsatisfied.")},
    )
    comment = forms.CharField(
        label=_("Comment"),
        max_length=COMMENT_MAX,
        required=False,
        widget=_textarea(3),
        help_text=_("If you are unsatisfied, say what was not answered: it is handled again."),
    )
