"""Forms of the ballot pages.

The forms only parse what the browser sent; ``votes.services`` (and ``votes.tracking``)
decide what is valid, and their errors are put back on the form with
``add_service_errors``. So the pages, the API and the admin refuse the same things with
the same messages.
"""

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from liaison.forms import ServiceErrorsMixin, SubmissionKeyMixin
from votes.models import Choice, Inspection, Proposal, Round
from votes.models.cycles import TEXT_MAX, TITLE_MAX

PLACE_MAX = Proposal._meta.get_field("location").max_length


def _plain_newlines(value: str) -> str:
    # Browsers send a textarea's line breaks as CRLF but count them as one character:
    # normalise, so text the browser let through is measured the way the person saw it.
    return (value or "").replace("\r\n", "\n").replace("\r", "\n")


def _text(value: str) -> str:
    """A textarea's text, measured after normalising. A model TextField's max_length is
    not checked by ``full_clean``, so the services would store any length: the form
    holds the line at the model's limit."""
    text = _plain_newlines(value).strip()
    MaxLengthValidator(TEXT_MAX)(text)
    return text


class ProposalForm(SubmissionKeyMixin, ServiceErrorsMixin, forms.Form):
    """A project idea (征集) from the public or a deputy, for ``services.proposal_submit``.

    No name, phone or address is asked for: a proposal needs none, so none is collected.
    The hidden ``submission_key`` makes a double click one proposal (the views claim it).
    """

    title = forms.CharField(
        label=_("Project name"),
        required=False,
        help_text=_("In a few words, e.g. “Street lights on the river road”."),
        widget=forms.TextInput(attrs={"maxlength": TITLE_MAX, "required": True}),
    )
    content = forms.CharField(
        label=_("What should be done, and why"),
        required=False,
        strip=False,
        help_text=_("Who would benefit and how. At most 2,000 characters."),
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": TEXT_MAX, "required": True}),
    )
    location = forms.CharField(
        label=_("Place (optional)"),
        required=False,
        help_text=_("The village, community or street concerned."),
        widget=forms.TextInput(attrs={"maxlength": PLACE_MAX}),
    )

    def clean_content(self) -> str:
        return _text(self.cleaned_data["content"])


class DeputyProposalForm(ProposalForm):
    """A deputy's proposal may carry a first estimate of the investment."""

    estimated_investment = forms.DecimalField(
        label=_("Estimated investment in 10,000 yuan (optional)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )


class BallotForm(ServiceErrorsMixin, forms.Form):
    """One secret ballot: a row of radio buttons for each candidate of the round.

    Every field is optional here: the service says which candidates are unmarked and
    whether there are too many "for" marks, in one message for the whole ballot.
    """

    def __init__(self, *args, round_: Round, **kwargs):
        super().__init__(*args, **kwargs)
        self.round = round_
        self.candidates = list(round_.candidates.all())
        choices = [(str(choice), Choice(choice).label) for choice in round_.choices]
        for candidate in self.candidates:
            self.fields[self.field_name(candidate.pk)] = forms.ChoiceField(
                label=candidate.title,
                choices=choices,
                required=False,
                widget=forms.RadioSelect,
            )

    @staticmethod
    def field_name(candidate_id: int) -> str:
        return f"mark-{candidate_id}"

    def rows(self) -> list[tuple]:
        """(candidate, bound field) in ballot order, for the template."""
        return [(c, self[self.field_name(c.pk)]) for c in self.candidates]

    def marks(self) -> dict[str, str]:
        """The marks as ``services.ballot_cast`` takes them: {candidate id: choice}."""
        marks = {}
        for candidate in self.candidates:
            value = self.cleaned_data.get(self.field_name(candidate.pk))
            if value:
                marks[str(candidate.pk)] = value
        return marks


class InspectionForm(ServiceErrorsMixin, forms.Form):
    """A supervising deputy group's inspection report (代表视察), for
    ``tracking.inspection_submit``."""

    kind = forms.ChoiceField(label=_("Inspection"), choices=Inspection.Kind.choices)
    inspected_on = forms.DateField(
        label=_("Date of the inspection"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )
    finding = forms.ChoiceField(
        label=_("Finding"), choices=Inspection.Finding.choices, widget=forms.RadioSelect
    )
    report = forms.CharField(
        label=_("Report"),
        strip=False,
        help_text=_("What the deputies saw and what they ask for. At most 2,000 characters."),
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": TEXT_MAX}),
    )
    deputies = forms.ModelMultipleChoiceField(
        label=_("Deputies taking part"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deputies"].queryset = members
        self.fields["deputies"].label_from_instance = lambda deputy: deputy.name

    def clean_report(self) -> str:
        return _text(self.cleaned_data["report"])
