"""The paper ledger in the admin: the office types a station's receptions (接待记录) and
the matters raised, within its own region.

The reception admin is registered from the suggestions app because its matters inline
needs the suggestions models (stations never imports suggestions). A new reception is
written by ``receptions.reception_log``, exactly as the deputies' phone page writes it,
so its passed-on matters become suggestions through the one intake, outbox and routing.
After that the matters are read-only: a passed-on matter's suggestion is the live
record, handled in the suggestions admin. The forms run the service's own checks, so
the admin refuses what the service refuses, next to the field, before anything is saved.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from liaison.admin import ScopedAdmin, ScopedInline
from liaison.forms import SUBMISSION_KEY_RE, new_submission_key
from liaison.rules import is_admin, is_office
from stations.models import Reception
from suggestions import receptions
from suggestions.admin import RegionDrillDownFilter
from suggestions.admin_privacy import reveal_button
from suggestions.models import Category, ReceptionMatter


def _is_office(request) -> bool:
    return bool(is_office(request.user))


def _put_errors(form: forms.BaseForm, errors: dict[str, list[str]]) -> None:
    """The service's errors on the form, except where the form already objects."""
    for field, messages in errors.items():
        if field in form.fields:
            if field not in form.errors:
                form.add_error(field, messages)
        else:
            form.add_error(None, messages)


# --- The reception ------------------------------------------------------------------------


class ReceptionAdminForm(forms.ModelForm):
    """A reception from the paper ledger; ``recording_user`` is set per request."""

    # One key per rendering of the add page: a double click on "Save" is one reception.
    form_key = forms.CharField(required=False, widget=forms.HiddenInput)
    recording_user = None

    class Meta:
        model = Reception
        fields = ["station", "date", "deputies", "visitors", "summary"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("form_key", new_submission_key())

    def clean(self):
        cleaned = super().clean()
        instance, new = self.instance, self.instance.pk is None
        _put_errors(
            self,
            receptions.reception_errors(
                station=cleaned.get("station") if new else instance.station,
                date=cleaned.get("date") if new else instance.date,
                deputies=cleaned.get("deputies") or [],
                visitors=cleaned.get("visitors"),
                summary=cleaned.get("summary") or "",
                source=Reception.Source.PAPER_LEDGER if new else instance.source,
                recorded_by=self.recording_user,
                new=new,
            ),
        )
        return cleaned


# --- Its matters ----------------------------------------------------------------------------


class MatterAdminForm(forms.ModelForm):
    """One matter as typed from the paper ledger."""

    # Wider than the stored 11 digits: people type +86, spaces and dashes.
    phone = forms.CharField(
        label=_("mobile"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )

    class Meta:
        model = ReceptionMatter
        fields = ["content", "category", "handling", "answer", "name", "phone"]
        widgets = {
            "content": forms.Textarea(attrs={"rows": 3, "cols": 60}),
            "answer": forms.Textarea(attrs={"rows": 2, "cols": 60}),
        }

    def clean(self):
        cleaned = super().clean()
        normalised = receptions.matter_normalise(cleaned)
        _put_errors(self, receptions.matter_errors(normalised))
        for field in ("name", "phone", "content", "answer"):
            if field in cleaned:
                cleaned[field] = normalised[field]
        return cleaned


class MatterAdminFormSet(forms.BaseInlineFormSet):
    def filled_forms(self) -> list[forms.Form]:
        return [
            form
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and not receptions.matter_is_blank(form.cleaned_data)
        ]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if errors := receptions.matters_count_errors(len(self.filled_forms())):
            raise ValidationError(errors)


class MatterEntryInline(ScopedInline, admin.StackedInline):
    """The matters of a paper ledger page being typed in."""

    model = ReceptionMatter
    form = MatterAdminForm
    formset = MatterAdminFormSet
    extra = 3
    max_num = receptions.MAX_MATTERS
    can_delete = False
    radio_fields = {"handling": admin.HORIZONTAL}
    fields = ["content", "category", "handling", "answer", ("name", "phone")]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "category":
            kwargs["queryset"] = Category.objects.filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_view_permission(self, request, obj=None):
        return _is_office(request)

    def has_add_permission(self, request, obj=None):
        return obj is None and _is_office(request)

    def has_change_permission(self, request, obj=None):
        return obj is None and _is_office(request)

    def has_delete_permission(self, request, obj=None):
        return False


class MatterRecordInline(ScopedInline, admin.TabularInline):
    """The matters of a logged reception, read-only, each with the suggestion it became."""

    model = ReceptionMatter
    extra = 0
    can_delete = False
    fields = [
        "position",
        "category",
        "content",
        "constituent",
        "handling",
        "answer",
        "suggestion_link",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("category", "suggestion")

    def has_view_permission(self, request, obj=None):
        return _is_office(request)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("constituent"))
    def constituent(self, matter: ReceptionMatter) -> str:
        # Masked, with a logged reveal (suggestions.admin_privacy); a passed-on matter's
        # personal data lives on its suggestion, revealed there.
        source = matter.suggestion or matter
        if getattr(source, "anonymised_at", None):
            return gettext("Removed")
        if matter.suggestion_id:
            url = reverse("admin:suggestions_suggestion_reveal_phone", args=[source.pk])
        else:
            url = reverse("admin:suggestions_suggestion_reveal_matter", args=[matter.pk])
        parts = [
            reveal_button(url, field, masked)
            for field, masked in (("name", source.masked_name), ("phone", source.masked_phone))
            if masked
        ]
        return format_html_join(" · ", "{}", ((part,) for part in parts)) or "—"

    @admin.display(description=_("suggestion"))
    def suggestion_link(self, matter: ReceptionMatter) -> str:
        suggestion = matter.suggestion
        if suggestion is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a> {}',
            reverse("admin:suggestions_suggestion_change", args=[suggestion.pk]),
            suggestion.tracking_code,
            suggestion.get_status_display(),
        )


@admin.register(Reception)
class ReceptionAdmin(ScopedAdmin):
    """Receptions of the user's region; new ones typed from the paper ledger."""

    form = ReceptionAdminForm
    list_display = ["station", "date", "deputy_count", "visitors", "matter_count", "source"]
    list_display_links = ["station", "date"]
    list_select_related = ["station"]
    list_filter = ["source", RegionDrillDownFilter]
    date_hierarchy = "date"
    search_fields = ["station__name", "=station__code"]
    autocomplete_fields = ["station", "deputies"]
    ordering = ["-date", "-id"]

    # -- Who may: office staff see, type and correct; only administrators delete.

    def has_module_permission(self, request):
        return _is_office(request)

    def has_view_permission(self, request, obj=None):
        return _is_office(request)

    def has_add_permission(self, request):
        return _is_office(request)

    def has_change_permission(self, request, obj=None):
        return _is_office(request)

    def has_delete_permission(self, request, obj=None):
        return bool(is_admin(request.user))

    # -- The changelist

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                deputy_total=Count("deputies", distinct=True),
                matter_total=Count("matters", distinct=True),
            )
        )

    @admin.display(description=_("deputies"), ordering="deputy_total")
    def deputy_count(self, reception: Reception) -> int:
        return reception.deputy_total

    @admin.display(description=_("matters"), ordering="matter_total")
    def matter_count(self, reception: Reception) -> int:
        return reception.matter_total

    # -- The page: station and date are fixed once logged, matters read-only

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            fields = ["station", "date", "deputies", "visitors", "summary", "form_key"]
            return [(None, {"fields": fields})]
        return [
            (None, {"fields": ["station", "date", "reception_day", "deputies", "visitors"]}),
            (None, {"fields": ["summary"]}),
            (_("How it was recorded"), {"fields": ["source", "recorded_by", "created_at"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["station", "date", "reception_day", "source", "recorded_by", "created_at"]

    def get_inlines(self, request, obj):
        return [MatterEntryInline] if obj is None else [MatterRecordInline]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"recording_user": request.user})

    # -- Saving goes through the service

    def save_model(self, request, obj, form, change):
        if not change:
            return  # written with its matters by the service, in save_related
        receptions.reception_correct(
            reception=obj,
            deputies=form.cleaned_data["deputies"],
            visitors=obj.visitors,
            summary=obj.summary,
            user=request.user,
        )

    def save_related(self, request, form, formsets, change):
        # The service writes the matters, not the formsets; the admin's history entry
        # still reads what each formset added, changed and deleted.
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if change:
            return  # the deputies were saved with the correction; matters are read-only
        data = form.cleaned_data
        key = data.get("form_key") or ""
        submission_key = f"admin:{request.user.pk}:{key}" if SUBMISSION_KEY_RE.match(key) else None
        reception = receptions.reception_log(
            station=data["station"],
            date=data["date"],
            deputies=data["deputies"],
            visitors=data["visitors"],
            summary=data["summary"],
            matters=[
                receptions.matter_normalise(matter_form.cleaned_data)
                for formset in formsets
                if isinstance(formset, MatterAdminFormSet)
                for matter_form in formset.filled_forms()
            ],
            recorded_by=request.user,
            source=Reception.Source.PAPER_LEDGER,
            submission_key=submission_key,
        )
        # The admin goes on with the form's instance (the log entry, the redirect to
        # the new reception's page): make it the reception the service wrote.
        instance = form.instance
        instance.pk = reception.pk
        instance._state.adding = False
        instance.refresh_from_db()
        for formset in formsets:
            if isinstance(formset, MatterAdminFormSet):
                formset.new_objects = list(reception.matters.all())
