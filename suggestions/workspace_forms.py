"""Forms of the logged-in workspaces: a department's reply (to a deputy suggestion: one
per signing deputy), return and on-the-spot answer, and the decision of the deputy an
opinion was addressed to.

The forms check the shape of the input only; the rules (who may, in which status, what
text is acceptable) live in ``suggestions.services``, whose ``ValidationError`` is put
back on the form by ``add_service_error`` so the handler sees it next to the field.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from suggestions.models import CONTENT_MAX, ResultClass, validate_not_markup
from suggestions.services import DeputyDecision

NOTE_MAX = 2000


def _textarea(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class WorkspaceForm(forms.Form):
    """A form whose services report errors by their own field names.

    ``service_fields`` maps a service's error key to the form field showing it;
    ``text_field`` receives the field-less errors about the text itself (markup).
    """

    action = ""
    service_fields: dict[str, str] = {}
    text_field = ""

    def __init__(self, *args, **kwargs):
        # Several forms share one page: distinct ids keep each label on its own field.
        kwargs.setdefault("auto_id", f"id_{self.action}_%s")
        super().__init__(*args, **kwargs)

    def add_service_error(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for key, errors in error.error_dict.items():
                field = self.service_fields.get(key, key)
                self.add_error(field if field in self.fields else None, errors)
            return
        for item in error.error_list:
            field = self.text_field if item.code == "markup" and self.text_field else None
            self.add_error(field, item)


class ReplyForm(WorkspaceForm):
    action = "reply"
    text_field = "public_text"

    public_text = forms.CharField(
        label=_("Reply to the constituent"),
        max_length=CONTENT_MAX,
        error_messages={"required": _("Write the reply the constituent will read.")},
        widget=_textarea(6),
        help_text=_("The constituent reads this on the tracking page, word for word."),
    )
    internal_note = forms.CharField(
        label=_("Internal note"),
        max_length=NOTE_MAX,
        required=False,
        widget=_textarea(3),
        help_text=_("For the liaison office and your colleagues only."),
    )

    def __init__(self, *args, co_handler: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if co_handler:
            # A co-handler's reply is an opinion for the lead department, not an answer.
            field = self.fields["public_text"]
            field.label = _("Your department's opinion")
            field.error_messages["required"] = _("Write your department's opinion.")
            field.help_text = _(
                "It goes to the lead department and the liaison office, not to the constituent."
            )


class ReturnForm(WorkspaceForm):
    action = "return"
    text_field = "reason"

    reason = forms.CharField(
        label=_("Why is this item not yours to handle?"),
        max_length=NOTE_MAX,
        error_messages={"required": _("Say why the item is not yours to handle.")},
        widget=_textarea(3),
        help_text=_("The liaison office reads it and assigns the item again."),
    )


class AnswerOnSpotForm(WorkspaceForm):
    action = "spot"
    text_field = "public_text"

    public_text = forms.CharField(
        label=_("The answer that was given"),
        max_length=CONTENT_MAX,
        error_messages={"required": _("Write down the answer that was given.")},
        widget=_textarea(4),
        help_text=_("Record what the constituent was told; they can rate it."),
    )


class DeputyDecisionForm(WorkspaceForm):
    action = "decide"
    service_fields = {"public_text": "text"}
    text_field = "text"

    decision = forms.ChoiceField(
        label=_("Your decision"),
        choices=[
            (DeputyDecision.ON_SPOT, _("I answered it on the spot")),
            (DeputyDecision.PASS_ON, _("Pass it on to the department that handles it")),
            (DeputyDecision.PROMOTE, _("I will raise it as a formal deputy suggestion")),
        ],
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=_("Answer or note"),
        max_length=CONTENT_MAX,
        required=False,
        widget=_textarea(4),
        help_text=_(
            "Required for an answer on the spot: the constituent reads it. "
            "Otherwise an optional note for the liaison office."
        ),
    )


class DeputyReplyForm(WorkspaceForm):
    """The lead department's answer to a formal deputy suggestion: the result class and
    one reply to each signing deputy (the lead deputy and the confirmed co-signers),
    who each read their own and rate it."""

    action = "reply"

    result_class = forms.ModelChoiceField(
        label=_("Result class"),
        queryset=ResultClass.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": _("Choose the result class.")},
    )
    internal_note = forms.CharField(
        label=_("Internal note"),
        max_length=NOTE_MAX,
        required=False,
        widget=_textarea(3),
        help_text=_("For the liaison office and your colleagues only."),
    )

    def __init__(self, *args, signers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["result_class"].queryset = ResultClass.objects.filter(is_active=True)
        self.signers = list(signers)
        for index, deputy in enumerate(self.signers):
            label = (
                _("Reply to %(name)s, the lead deputy")
                if index == 0
                else _("Reply to %(name)s, co-signer")
            )
            self.fields[self.field_name(deputy)] = forms.CharField(
                label=label % {"name": deputy.name},
                max_length=CONTENT_MAX,
                validators=[validate_not_markup],
                widget=_textarea(5),
                error_messages={"required": _("Write the reply to this deputy.")},
            )
        self.order_fields(
            ["result_class", *(self.field_name(d) for d in self.signers), "internal_note"]
        )

    @staticmethod
    def field_name(deputy) -> str:
        return f"reply_{deputy.pk}"

    @property
    def reply_fields(self) -> list:
        return [self[self.field_name(deputy)] for deputy in self.signers]

    def per_deputy(self) -> dict[int, str]:
        """Deputy id → reply text, as ``services.case_reply`` takes it."""
        return {deputy.pk: self.cleaned_data[self.field_name(deputy)] for deputy in self.signers}
