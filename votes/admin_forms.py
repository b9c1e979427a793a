"""Forms of the ballot admin: the cycle and its candidates (refusing changes once the
rules are frozen), proposals added by the office, screening, candidates made from
proposals, attendance, the paper tally, the negative list and project records.

Every write still goes through ``votes.services`` (or ``votes.tracking``); these forms
only collect and check what the clerk typed.
"""

import copy

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.models import User
from liaison.rules import is_admin, is_province_staff
from liaison.text import has_markup
from votes import services
from votes.models import (
    BallotCycle,
    Candidate,
    Choice,
    Inspection,
    Milestone,
    NegativeListItem,
    ProgressReport,
    Proposal,
    Round,
)
from votes.models.cycles import RULE_FIELDS, TEXT_MAX, TITLE_MAX

# No congress has this many deputies; a bigger figure is a typing slip.
MAX_FIGURE = 100_000


def service_error(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's refusal on a form: on the field it names if the form has that
    field, otherwise at the top."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _locked_frozen_at(cycle: BallotCycle):
    # The row lock makes this check and the save that follows one step with respect to
    # voting_open, which takes the same lock: either the save happens before voting
    # opens, or it sees the rules frozen. (The admin's change view runs in a transaction.)
    return (
        BallotCycle.objects.select_for_update()
        .filter(pk=cycle.pk)
        .values_list("rules_frozen_at", flat=True)
        .first()
    )


def _posted_changes(form: forms.BaseForm) -> list[str]:
    """Fields whose posted value differs from the form's initial one.

    Only fields actually present in the POST count: a read-only row of the admin posts
    no inputs for its fields, and that is not an attempt to change them.
    """
    return [
        name
        for name in form.changed_data
        if name in form.fields and any(key.startswith(form.add_prefix(name)) for key in form.data)
    ]


class BallotCycleForm(forms.ModelForm):
    """The cycle's form: once voting has opened, a change to a rule is refused with the
    model's own error, whether the rule field is editable (the page was loaded before
    voting opened) or shown read-only (a stale page posts it anyway)."""

    class Meta:
        model = BallotCycle
        fields = [
            "congress",
            "year",
            "title",
            "session",
            "places",
            "margin_ratio",
            "threshold_basis",
            "tie_rule",
            "collect_until",
            "notes",
        ]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            frozen_at = _locked_frozen_at(self.instance)
            if frozen_at is not None:
                probe = copy.copy(self.instance)
                probe.rules_frozen_at = frozen_at
                for attr, value in self._attempted_rules(cleaned).items():
                    setattr(probe, attr, value)
                # clean() raises the model's RulesFrozen naming the changed rules.
                probe.clean()
        return cleaned

    def _attempted_rules(self, cleaned: dict) -> dict:
        attempted = {}
        for attr in RULE_FIELDS:
            name = attr.removesuffix("_id")
            if name in self.fields:
                if name not in cleaned:
                    continue  # the field's own error says what is wrong
                value = cleaned[name]
            elif self.add_prefix(name) in self.data:
                formfield = BallotCycle._meta.get_field(name).formfield()
                try:
                    value = formfield.clean(self.data.get(self.add_prefix(name)))
                except ValidationError:
                    value = None  # not the stored value, whatever it was meant to be
            else:
                continue
            if attr == "congress_id":
                value = value.pk if value is not None else None
            attempted[attr] = value
        return attempted


class CandidateInlineFormSet(BaseInlineFormSet):
    """Candidates on the cycle's page: any change once voting has opened is refused with
    the model's error, including a stale page's edits that the read-only rows ignore."""

    def clean(self):
        super().clean()
        cycle = self.instance
        if not cycle.pk:
            return
        frozen_at = _locked_frozen_at(cycle)
        if frozen_at is None or not self._attempts_a_change():
            return
        probe = copy.copy(cycle)
        probe.rules_frozen_at = frozen_at
        Candidate(cycle=probe).clean()  # raises RulesFrozen with the model's message

    def _attempts_a_change(self) -> bool:
        for form in self.forms:
            if form.add_prefix("DELETE") in self.data and self.data.get(form.add_prefix("DELETE")):
                return True
            if _posted_changes(form):
                return True
        return False


class CandidateInlineForm(forms.ModelForm):
    class Meta:
        model = Candidate
        fields = [
            "number",
            "title",
            "description",
            "location",
            "investment",
            "responsible_unit",
            "planned_completion",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2, "cols": 40})}


# --- Proposals -------------------------------------------------------------------------


class ProposalAddForm(forms.ModelForm):
    """A proposal entered by the office, its own or a department's, through the same
    service the public and deputies use (``proposal_submit``)."""

    source = forms.ChoiceField(
        label=_("source"),
        choices=[
            (Proposal.Source.STAFF.value, Proposal.Source.STAFF.label),
            (Proposal.Source.DEPARTMENT.value, Proposal.Source.DEPARTMENT.label),
        ],
        initial=Proposal.Source.STAFF.value,
        widget=forms.RadioSelect,
    )
    user = None  # set by the admin: who enters it
    created: Proposal | None = None

    class Meta:
        model = Proposal
        fields = [
            "cycle",
            "source",
            "title",
            "content",
            "location",
            "estimated_investment",
            "department_name",
        ]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        # The service checks and writes; the admin's add view runs in one transaction,
        # so a proposal created here is rolled back if anything after it fails.
        try:
            self.created = services.proposal_submit(
                cycle=cleaned["cycle"],
                source=cleaned["source"],
                title=cleaned["title"],
                content=cleaned["content"],
                location=cleaned.get("location") or "",
                estimated_investment=cleaned.get("estimated_investment"),
                department_name=cleaned.get("department_name") or "",
                by=self.user,
            )
        except ValidationError as exc:
            service_error(self, exc)
        return cleaned

    def _post_clean(self):
        if self.created is not None:
            self.instance = self.created  # already validated and saved by the service
            return
        super()._post_clean()

    def save(self, commit=True):
        self.save_m2m = lambda: None
        return self.instance


class ScreenForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accept", _("Accept")), ("reject", _("Do not accept"))],
        widget=forms.RadioSelect,
    )
    public_benefit = forms.BooleanField(label=_("Of public benefit"), required=False)
    feasible = forms.BooleanField(label=_("Feasible this year"), required=False)
    affordable = forms.BooleanField(label=_("Within fiscal capacity"), required=False)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when not accepted, unless negative-list items are ticked."),
    )
    negative_items = forms.ModelMultipleChoiceField(
        label=_("Negative-list items it falls under"),
        queryset=NegativeListItem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, negative_items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["negative_items"].queryset = negative_items

    def clean(self):
        # The service checks each proposal the same way; checked once here, a slip is
        # one message on the form rather than one per selected proposal.
        cleaned = super().clean()
        decision, items = cleaned.get("decision"), cleaned.get("negative_items")
        if decision == "accept":
            if items:
                self.add_error(
                    "negative_items", _("A proposal on the negative list cannot be accepted.")
                )
            if not (
                cleaned.get("public_benefit")
                and cleaned.get("feasible")
                and cleaned.get("affordable")
            ):
                self.add_error(
                    None,
                    _(
                        "Accept only a proposal that is of public benefit, feasible this year "
                        "and within fiscal capacity."
                    ),
                )
        elif decision == "reject" and not (cleaned.get("reason") or "").strip() and not items:
            self.add_error(
                "reason", _("Give the reason, or the negative-list items it falls under.")
            )
        return cleaned


class CandidateFromProposalsForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    description = forms.CharField(
        label=_("Description"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )
    investment = forms.DecimalField(
        label=_("Investment (10,000 yuan)"), min_value=0, max_digits=12, decimal_places=2
    )
    responsible_unit = forms.CharField(label=_("Responsible department"), max_length=100)
    planned_completion = forms.DateField(label=_("Planned completion"), widget=AdminDateWidget)
    location = forms.CharField(label=_("Place"), max_length=100, required=False)


# --- Attendance and the paper tally ----------------------------------------------------


class DeputiesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, deputy):
        return f"{deputy.name}（{deputy.code}）"


class AttendanceForm(forms.Form):
    deputies = DeputiesField(
        label=_("Present"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, eligible, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deputies"].queryset = eligible


class TallyForm(forms.Form):
    """One scrutineer's entry of a round's paper ballots: three totals and one figure per
    candidate and choice."""

    issued = forms.IntegerField(label=_("Ballots issued"), min_value=0, max_value=MAX_FIGURE)
    returned = forms.IntegerField(label=_("Ballots returned"), min_value=0, max_value=MAX_FIGURE)
    invalid = forms.IntegerField(label=_("Invalid ballots"), min_value=0, max_value=MAX_FIGURE)

    def __init__(self, *args, round_: Round, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.round = round_
        self.candidates = list(candidates)
        self.rows = []
        for candidate in self.candidates:
            row = []
            for choice in round_.choices:
                name = self.field_name(candidate.pk, str(choice))
                label = f"{candidate.number}. {candidate.title} · {Choice(choice).label}"
                self.fields[name] = forms.IntegerField(
                    label=label,
                    min_value=0,
                    max_value=MAX_FIGURE,
                    # The grid shows no <label>: the screen reader reads this one.
                    widget=forms.NumberInput(attrs={"aria-label": label}),
                )
                row.append(name)
            self.rows.append((candidate, row))

    @staticmethod
    def field_name(candidate_id: int, choice: str) -> str:
        return f"c{candidate_id}_{choice}"

    def grid(self):
        """(candidate, [bound field per choice]) for the template's table."""
        return [(candidate, [self[name] for name in names]) for candidate, names in self.rows]

    def lines(self) -> dict[tuple[int, str], int]:
        return {
            (candidate.pk, str(choice)): self.cleaned_data[
                self.field_name(candidate.pk, str(choice))
            ]
            for candidate in self.candidates
            for choice in self.round.choices
        }


# --- The negative list and project records ---------------------------------------------


class NegativeListItemForm(forms.ModelForm):
    user = None  # set by the admin

    class Meta:
        model = NegativeListItem
        fields = ["text", "region", "sort_order", "is_active"]

    def clean_region(self):
        region = self.cleaned_data.get("region")
        if region is None and not (is_admin(self.user) or is_province_staff(self.user)):
            # An item without a region applies in every county: the province keeps those.
            raise ValidationError(
                _(
                    "Choose the region the item applies in; items for everywhere are kept by the "
                    "provincial office."
                )
            )
        return region


class ProgressReportForm(forms.ModelForm):
    class Meta:
        model = ProgressReport
        fields = ["reported_on", "progress", "spent", "note"]
        widgets = {
            "reported_on": AdminDateWidget,
            "note": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reported_on"].initial = timezone.localdate


# Shown on the public progress page: plain text only (as votes.tracking requires).


def _plain_text(value: str) -> str:
    if has_markup(value):
        raise ValidationError(_("Please write plain text without HTML tags."))
    return value


def _not_in_future(value):
    if value and value > timezone.localdate():
        raise ValidationError(_("The date cannot be in the future."))
    return value


class MilestoneInlineForm(forms.ModelForm):
    """A milestone: its progress goes through ``tracking.milestone_update`` when saved;
    the checks that service makes are made here first, so the page shows them."""

    class Meta:
        model = Milestone
        fields = ["title", "due_date", "progress", "completed_on"]

    def clean_title(self):
        return _plain_text(self.cleaned_data.get("title", ""))

    def clean_completed_on(self):
        return _not_in_future(self.cleaned_data.get("completed_on"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("completed_on") and cleaned.get("progress") not in (None, 100):
            self.add_error(
                "completed_on",
                _("Only a milestone at full progress can have a completion date; clear the date."),
            )
        return cleaned


class PhotoForm(forms.Form):
    image = forms.FileField(label=_("Photo"))
    caption = forms.CharField(label=_("Caption"), max_length=100, required=False)
    taken_on = forms.DateField(label=_("Taken"), required=False, widget=AdminDateWidget)


class InspectionForm(forms.Form):
    """An inspection the office records for the supervising deputies."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Inspection.Kind.choices)
    inspected_on = forms.DateField(label=_("Inspected"), widget=AdminDateWidget)
    finding = forms.ChoiceField(label=_("Finding"), choices=Inspection.Finding.choices)
    report = forms.CharField(
        label=_("Report"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 5})
    )
    deputies = DeputiesField(
        label=_("Deputies taking part"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, deputies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deputies"].queryset = deputies


class InspectionInlineForm(forms.ModelForm):
    """An inspection report; one the supervising deputies submitted is theirs and is
    shown, not edited, in the admin."""

    class Meta:
        model = Inspection
        fields = ["kind", "inspected_on", "finding", "report", "deputies"]
        widgets = {"report": forms.Textarea(attrs={"rows": 3, "cols": 40})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_deputys:
            for field in self.fields.values():
                field.disabled = True

    @property
    def is_deputys(self) -> bool:
        author = self.instance.submitted_by if self.instance.pk else None
        return bool(author and author.role == User.Role.DEPUTY)

    def clean_report(self):
        return _plain_text(self.cleaned_data.get("report", ""))

    def clean_inspected_on(self):
        return _not_in_future(self.cleaned_data.get("inspected_on"))


class InspectionInlineFormSet(BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if getattr(form, "is_deputys", False) and "DELETE" in form.fields:
            form.fields["DELETE"].disabled = True
