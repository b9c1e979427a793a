"""Forms of the deputy's reception ledger page: the reception and its matters.

The forms parse what the phone sent (a station id into a station, checkboxes into
deputies, a row of the matters block into a dict); ``suggestions.receptions`` decides
what is valid, and the view puts its errors back next to the fields. So the phone page
and the admin's paper ledger refuse exactly the same things, with the same messages.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.forms import SUBMISSION_KEY_RE, new_submission_key
from stations.models import RECEPTION_VISITORS_MAX, Deputy, Station
from suggestions import receptions
from suggestions.models import Category, ReceptionMatter

MATTERS_PREFIX = "matters"


class DeputyCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes that carry the stations each deputy is placed at, so the page's script
    can show only the chosen station's deputies."""

    def __init__(self, *args, stations_of: dict[int, list[int]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.stations_of = stations_of or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        pk = getattr(value, "value", value)
        option["attrs"]["data-stations"] = " ".join(
            str(station) for station in self.stations_of.get(pk, [])
        )
        return option


class ReceptionForm(forms.Form):
    """Where and when the reception was, who received, how many came."""

    station = forms.ModelChoiceField(
        label=_("Station"),
        queryset=Station.objects.none(),
        empty_label=None,
        error_messages={
            "required": _("Choose the station."),
            "invalid_choice": _("Choose one of the stations you are placed at."),
        },
    )
    date = forms.DateField(
        label=_("Date"),
        error_messages={
            "required": _("Enter the date of the reception."),
            "invalid": _("Enter a date such as 2025-03-08."),
        },
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    deputies = forms.ModelMultipleChoiceField(
        label=_("Deputies present"),
        required=False,
        queryset=Deputy.objects.none(),
        error_messages={"invalid_choice": _("Tick only deputies placed at the station.")},
    )
    visitors = forms.IntegerField(
        label=_("Visitors"),
        required=False,
        help_text=_("How many people came, whether or not they raised a matter."),
        error_messages={"invalid": _("Enter a number of visitors from 0 to 10,000.")},
        widget=forms.NumberInput(
            attrs={"min": 0, "max": RECEPTION_VISITORS_MAX, "inputmode": "numeric"}
        ),
    )
    summary = forms.CharField(
        label=_("Notes on the day (optional)"),
        required=False,
        strip=False,
        help_text=_("E.g. a joint reception with the township government. Plain text."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    submission_key = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, *, deputy: Deputy, stations, placed, **kwargs):
        """``stations``: where the deputy may log; ``placed``: station id → deputies."""
        if data is not None and not SUBMISSION_KEY_RE.match(data.get("submission_key", "")):
            # A missing or altered key: a fresh one still protects the next attempt.
            data = data.copy()
            data["submission_key"] = new_submission_key()
        kwargs.setdefault("label_suffix", "")
        initial = kwargs.pop("initial", {})
        super().__init__(
            data,
            initial={
                "date": timezone.localdate(),
                "deputies": [deputy.pk],
                "submission_key": new_submission_key(),
                **initial,
            },
            **kwargs,
        )
        self.deputy = deputy
        self.placed = {station_id: {d.pk for d in people} for station_id, people in placed.items()}
        stations = list(stations)
        station_field = self.fields["station"]
        station_field.queryset = Station.objects.filter(pk__in=[s.pk for s in stations])
        station_field.choices = [(station.pk, station.name) for station in stations]
        everyone = {d.pk: d for people in placed.values() for d in people}
        everyone.setdefault(deputy.pk, deputy)
        # The deputy first, then colleagues by name.
        ordered = sorted(everyone.values(), key=lambda d: (d.pk != deputy.pk, d.name, d.code))
        deputies_field = self.fields["deputies"]
        deputies_field.queryset = Deputy.objects.filter(pk__in=everyone)
        deputies_field.widget = DeputyCheckboxes(
            stations_of={
                pk: sorted(sid for sid, people in self.placed.items() if pk in people)
                for pk in everyone
            }
        )
        deputies_field.choices = [(d.pk, d.name) for d in ordered]
        self.fields["date"].widget.attrs["max"] = f"{timezone.localdate():%Y-%m-%d}"

    def clean_submission_key(self):
        key = self.cleaned_data["submission_key"]
        # Per account: one deputy's key can never name another's reception.
        return f"deputy:{self.deputy.user_id}:{key}" if SUBMISSION_KEY_RE.match(key) else None

    def clean_summary(self):
        return self.cleaned_data["summary"].replace("\r\n", "\n").strip()

    def clean(self):
        cleaned = super().clean()
        station, deputies = cleaned.get("station"), cleaned.get("deputies") or []
        if station is not None:
            here = self.placed.get(station.pk, set())
            if any(deputy.pk not in here for deputy in deputies):
                self.add_error("deputies", _("Tick only deputies placed at the station."))
        return cleaned


class MatterForm(forms.Form):
    """One matter a visitor raised: who (optional), what, and how it was handled."""

    name = forms.CharField(
        label=_("Visitor's name (optional)"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": receptions.NAME_MAX, "autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Visitor's mobile (optional)"),
        required=False,
        help_text=_("With a number, the visitor gets the tracking code and the reply by SMS."),
        widget=forms.TextInput(
            attrs={"type": "tel", "inputmode": "tel", "maxlength": 20, "autocomplete": "off"}
        ),
    )
    content = forms.CharField(
        label=_("What was raised"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    handling = forms.ChoiceField(
        label=_("How it was handled"),
        required=False,
        choices=ReceptionMatter.Handling.choices,
        initial=ReceptionMatter.Handling.PASSED_ON,
        widget=forms.RadioSelect,
    )
    answer = forms.CharField(
        label=_("Answer given on the spot"),
        required=False,
        strip=False,
        help_text=_("Only for a matter answered on the spot."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, categories: dict[str, Category], **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.categories = categories
        self.fields["category"].choices = [
            ("", _("Choose a category")),
            *((pk, category.name) for pk, category in categories.items()),
        ]

    def clean_category(self):
        return self.categories.get(self.cleaned_data["category"])


class BaseMatterFormSet(forms.BaseFormSet):
    """The matters block: three empty rows, more added on the page, at most 50."""

    default_error_messages = {
        "too_many_forms": _("Record at most 50 matters at a time."),
        "too_few_forms": _("Record at least one matter raised at the reception."),
        "missing_management_form": _("The form was damaged in transit; please send it again."),
    }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", MATTERS_PREFIX)
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        if not hasattr(self, "_categories"):
            self._categories = {
                str(category.pk): category
                for category in Category.objects.filter(is_active=True).order_by(
                    "sort_order", "code"
                )
            }
        return {**super().get_form_kwargs(index), "categories": self._categories}

    def filled(self) -> list[tuple[forms.Form, dict]]:
        """The rows somebody filled in, each with its data as the service takes it."""
        return [
            (form, receptions.matter_normalise(form.cleaned_data))
            for form in self.forms
            if form.cleaned_data and not receptions.matter_is_blank(form.cleaned_data)
        ]

    def grown(self) -> "BaseMatterFormSet":
        """The same posted rows and one empty row more (the "add a matter" button
        without the page's script)."""
        data = self.data.copy()
        total = self.total_form_count()
        data[f"{self.prefix}-TOTAL_FORMS"] = str(min(total + 1, receptions.MAX_MATTERS))
        return type(self)(data, prefix=self.prefix)


MatterFormSet = forms.formset_factory(
    MatterForm,
    formset=BaseMatterFormSet,
    extra=3,
    max_num=receptions.MAX_MATTERS,
    absolute_max=receptions.MAX_MATTERS,
    validate_max=True,
)


def add_service_errors(
    error: ValidationError,
    *,
    form: forms.Form,
    matter_forms: list[forms.Form],
    matters_errors: list[str],
) -> None:
    """Put the service's errors next to the fields: the reception's on ``form``, each
    matter's on its row, those about the list of matters in ``matters_errors``."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for key, errors in error.error_dict.items():
        if key == "matters":
            matters_errors.extend(message for item in errors for message in item.messages)
            continue
        if key.startswith(f"{MATTERS_PREFIX}-"):
            _prefix, index, field = key.split("-", 2)
            if index.isdigit() and int(index) < len(matter_forms):
                target = matter_forms[int(index)]
                target.add_error(field if field in target.fields else None, errors)
                continue
        form.add_error(key if key in form.fields else None, errors)
