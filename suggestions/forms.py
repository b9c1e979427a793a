"""Forms of the public pages.

The forms parse what the browser sent (a category code into a category, a list of
uploads, a checkbox into a boolean); ``suggestions.services`` decides what is valid, and
its errors are put back on the fields with ``add_service_errors``. So the web form, the
API and the admin refuse exactly the same things, with the same messages.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from liaison.forms import SUBMISSION_KEY_RE, ServiceErrorsMixin, new_submission_key
from suggestions import selectors
from suggestions.models import Case, FollowUp, Suggestion, validate_not_markup

TITLE_MAX = Case._meta.get_field("title").max_length
NAME_MAX = Suggestion._meta.get_field("name").max_length
COMMENT_MAX = 500


def _one_line(value: str) -> str:
    return " ".join((value or "").split())


def _plain_newlines(value: str) -> str:
    # Browsers send a textarea's line breaks as CRLF but count them as one character:
    # normalise, so text the browser let through is measured the way the person saw it.
    return (value or "").replace("\r\n", "\n").replace("\r", "\n")


class MultiplePhotoInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Any number of uploads, as a list; the service checks the count and decodes each."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": "image/*"}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        uploads = data if isinstance(data, list | tuple) else [data]
        return [upload for upload in uploads if upload]


class SubmitForm(ServiceErrorsMixin, forms.Form):
    """A constituent's opinion, for ``services.suggestion_submit``."""

    category = forms.CharField(
        label=_("Category"),
        required=False,
        widget=forms.Select(attrs={"required": True}),
    )
    title = forms.CharField(
        label=_("Title"),
        required=False,
        help_text=_("In a few words, e.g. “Potholes at the village entrance”."),
        widget=forms.TextInput(attrs={"maxlength": TITLE_MAX, "required": True}),
    )
    content = forms.CharField(
        label=_("Your opinion"),
        required=False,
        strip=False,
        help_text=_(
            "Where it is, what is wrong, since when, and what you would like done. "
            "At most 2,000 characters."
        ),
        widget=forms.Textarea(attrs={"rows": 8, "required": True}),
    )
    photos = PhotosField(
        label=_("Photos (optional)"),
        required=False,
        help_text=_(
            "Up to 3 photos of at most 5 MB each. Location data stored in a photo is removed."
        ),
    )
    name = forms.CharField(
        label=_("Your name (optional)"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": NAME_MAX, "autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Mobile number"),
        required=False,
        help_text=_(
            "A mainland mobile number: the tracking code and the reply are sent to it. "
            "It is never published."
        ),
        widget=forms.TextInput(
            attrs={
                "type": "tel",
                "inputmode": "tel",
                "autocomplete": "tel",
                "maxlength": 20,
                "required": True,
            }
        ),
    )
    do_not_contact = forms.BooleanField(
        label=_("Do not contact me about this opinion (no SMS, no follow-up call)"),
        required=False,
    )
    consent = forms.BooleanField(
        label=_("I have read and accept the personal information notice."),
        required=False,
        widget=forms.CheckboxInput(attrs={"required": True}),
    )
    submission_key = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, files=None, **kwargs):
        if data is not None and not SUBMISSION_KEY_RE.match(data.get("submission_key", "")):
            # A missing or altered key: give the form a fresh one, so the next attempt
            # is still protected against a double click.
            data = data.copy()
            data["submission_key"] = new_submission_key()
        kwargs.setdefault("label_suffix", "")
        super().__init__(data, files, **kwargs)
        self.categories = {category.code: category for category in selectors.categories_active()}
        self.fields["category"].widget.choices = [
            ("", _("Choose a category")),
            *((code, category.name) for code, category in self.categories.items()),
        ]

    def clean_category(self):
        return self.categories.get(self.cleaned_data["category"])

    def clean_title(self):
        return _one_line(self.cleaned_data["title"])

    def clean_content(self):
        return _plain_newlines(self.cleaned_data["content"]).strip()

    def clean_submission_key(self):
        key = self.cleaned_data["submission_key"]
        # Namespaced: an API client's own keys can never collide with the web form's.
        return f"web:{key}" if SUBMISSION_KEY_RE.match(key) else None


class TrackForm(forms.Form):
    """A tracking code and the last four digits of the phone it was given for."""

    code = forms.CharField(
        label=_("Tracking code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    last4 = forms.CharField(
        label=_("Last 4 digits of your mobile number"),
        max_length=4,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "pattern": "[0-9]{4}", "autocomplete": "off"}
        ),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_code(self):
        # People copy the code with spaces or dashes, and type it in lower case.
        return re.sub(r"[\s\-]", "", self.cleaned_data["code"]).upper()

    def clean_last4(self):
        value = self.cleaned_data["last4"]
        if not re.fullmatch(r"[0-9]{4}", value):
            raise ValidationError(_("Enter the last 4 digits of your mobile number."), code="last4")
        return value


RATING_CHOICES = [
    (rating.value, rating.label)
    for rating in (
        FollowUp.Rating.SATISFIED,
        FollowUp.Rating.BASICALLY,
        FollowUp.Rating.UNSATISFIED,
    )
]


class RateForm(ServiceErrorsMixin, forms.Form):
    """The constituent's rating of a reply, for ``services.case_rate``."""

    rating = forms.CharField(
        label=_("Are you satisfied with the reply?"),
        required=False,
        widget=forms.RadioSelect(choices=RATING_CHOICES, attrs={"required": True}),
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        strip=False,
        # Checked here as well as by the service, whose refusal names no field: the
        # message belongs next to the comment.
        validators=[validate_not_markup],
        help_text=_("At most 500 characters. If you are not satisfied, tell us why."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_comment(self):
        return _plain_newlines(self.cleaned_data["comment"]).strip()
