"""Constituents' personal data in the admin (PIPL): masked everywhere, revealed one field
of one item at a time by a POST that is logged, and exported or erased for one person
on request by county offices and above.

``PersonalDataAdminMixin`` gives the opinions' admin its masked name and phone with a
reveal button, the reveal pages (an opinion's and an on-the-spot reception matter's),
and the page for a person's request, linked from the changelist. The two logs (reveals,
requests) are read-only lists here, scoped like the items they name.
"""

import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from liaison import scoping
from liaison.admin import KeptRecordsMixin, ReadOnlyAdmin, ScopedAdmin, admin_page
from liaison.crypto import mask_name, mask_phone, normalise_phone
from suggestions import privacy
from suggestions.models import (
    PHONE_RE,
    PersonalDataAccess,
    PersonalDataRequest,
    ReceptionMatter,
    Suggestion,
)

MASKS = {"name": mask_name, "phone": mask_phone}
PREVIEW_LIMIT = 200


class RevealForm(forms.Form):
    field = forms.ChoiceField(
        choices=PersonalDataAccess.Field.choices, required=False, widget=forms.HiddenInput
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=200,
        help_text=_("Why you need it, e.g. “telephone follow-up”. Kept in the log."),
    )


class PersonRequestForm(forms.Form):
    phone = forms.CharField(
        label=_("The person's mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    reason = forms.CharField(
        label=_("Request"),
        required=False,
        max_length=200,
        help_text=_("How and when the person asked, e.g. “letter of 3 May”. Kept in the log."),
    )
    confirm = forms.BooleanField(
        label=_("The person asked for erasure; I understand it cannot be undone."),
        required=False,
    )

    def clean_phone(self):
        phone = normalise_phone(self.cleaned_data["phone"])
        if not re.fullmatch(PHONE_RE, phone):
            raise forms.ValidationError(
                _("Enter a mainland mobile number: 11 digits starting with 1.")
            )
        return phone


def _field_of(request) -> str:
    field = request.POST.get("field") or request.GET.get("field") or "phone"
    if field not in PersonalDataAccess.Field.values:
        raise Http404
    return field


def reveal_button(url: str, field: str, masked: str) -> str:
    """The masked value and a button to the reveal page of that field."""
    label = _("Reveal") if field == "phone" else _("Reveal the name")
    return format_html('{} <a class="button" href="{}?field={}">{}</a>', masked, url, field, label)


class PersonalDataAdminMixin:
    """For the opinions' admin (a ``ScopedAdmin``): masked personal fields with reveal
    buttons, the logged reveal pages and the page for one person's request."""

    change_list_template = "admin/suggestions/suggestion/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/reveal-phone/",
                view(self.reveal_view),
                name="suggestions_suggestion_reveal_phone",
            ),
            path(
                "reception-matters/<int:matter_id>/reveal/",
                view(self.reveal_matter_view),
                name="suggestions_suggestion_reveal_matter",
            ),
            path(
                "personal-data/",
                view(self.person_request_view),
                name="suggestions_suggestion_personal_data",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "can_manage_personal_data": privacy.can_manage_personal_data(request.user),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    # -- The item page: masked, with a reveal button

    def _personal_display(self, suggestion: Suggestion, field: str) -> str:
        value = getattr(suggestion, field)
        if not value:
            return gettext("Removed") if suggestion.anonymised_at else "—"
        url = reverse("admin:suggestions_suggestion_reveal_phone", args=[suggestion.pk])
        return reveal_button(url, field, MASKS[field](value))

    @admin.display(description=_("constituent's name"))
    def name_display(self, suggestion: Suggestion) -> str:
        return self._personal_display(suggestion, "name")

    @admin.display(description=_("mobile"))
    def phone_display(self, suggestion: Suggestion) -> str:
        return self._personal_display(suggestion, "phone")

    # -- Reveal pages: the value only after a POST, which is logged

    def _reveal_page(self, request, *, item_label, back_url, field, value_of, reveal, extra):
        form = RevealForm(request.POST or None, initial={"field": field})
        value = None
        if request.method == "POST" and form.is_valid() and value_of(field):
            value = reveal(field, form.cleaned_data["reason"])
        return admin_page(
            self,
            request,
            "admin/suggestions/reveal.html",
            {
                "title": _("Reveal the mobile number")
                if field == "phone"
                else _("Reveal the name"),
                "item_label": item_label,
                "back_url": back_url,
                "field": field,
                "masked": MASKS[field](value_of(field)),
                "has_value": bool(value_of(field)),
                "form": form,
                "value": value,
                **extra,
            },
        )

    def reveal_view(self, request, object_id):
        """An opinion's full name or number after a POST, logged as an access."""
        suggestion = self.object_to_change(request, object_id)
        field = _field_of(request)
        return self._reveal_page(
            request,
            item_label=f"{suggestion.tracking_code} · {suggestion.title}",
            back_url=reverse("admin:suggestions_suggestion_change", args=[suggestion.pk]),
            field=field,
            value_of=lambda f: getattr(suggestion, f),
            reveal=lambda f, reason: privacy.personal_data_reveal(
                user=request.user, field=f, suggestion=suggestion, reason=reason
            ),
            extra={"original": suggestion, "do_not_contact": suggestion.do_not_contact},
        )

    def reveal_matter_view(self, request, matter_id):
        """The same for a matter answered on the spot at a reception (a passed-on matter
        keeps nothing: its opinion does)."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        matters = scoping.scope(
            ReceptionMatter.objects.select_related("reception__station"), request.user
        )
        matter = matters.filter(pk=matter_id).first()
        if matter is None:
            raise Http404(_("No such object in your jurisdiction."))
        reception = matter.reception
        return self._reveal_page(
            request,
            item_label=f"{reception.station.name} · {reception.date:%Y-%m-%d} · {matter}",
            back_url=reverse("admin:stations_reception_change", args=[reception.pk]),
            field=_field_of(request),
            value_of=lambda f: getattr(matter, f),
            reveal=lambda f, reason: privacy.personal_data_reveal(
                user=request.user, field=f, matter=matter, reason=reason
            ),
            extra={},
        )

    # -- One person's request: export or erase

    def person_request_view(self, request):
        if not privacy.can_manage_personal_data(request.user):
            raise PermissionDenied
        form = PersonRequestForm(request.POST or None)
        found = None
        if request.method == "POST" and form.is_valid():
            phone, reason = form.cleaned_data["phone"], form.cleaned_data["reason"]
            if "_export" in request.POST:
                return self._export(request, phone=phone, reason=reason)
            if "_erase" in request.POST:
                if form.cleaned_data["confirm"]:
                    counts = privacy.personal_data_erase(
                        phone=phone, user=request.user, reason=reason
                    )
                    self.message_user(
                        request,
                        gettext(
                            "Erased the personal data of %(suggestions)s opinions and "
                            "%(matters)s reception matters."
                        )
                        % counts,
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(request.path)
                form.add_error("confirm", _("Tick the box to confirm the erasure."))
            suggestions, matters = privacy.person_items(phone=phone, user=request.user)
            found = {
                "suggestions": list(suggestions[:PREVIEW_LIMIT]),
                "matters": list(matters[:PREVIEW_LIMIT]),
            }
        return admin_page(
            self,
            request,
            "admin/suggestions/suggestion/personal_data.html",
            {"title": _("One person's data: export or erase"), "form": form, "found": found},
        )

    def _export(self, request, *, phone, reason):
        data = privacy.personal_data_export(phone=phone, user=request.user, reason=reason)
        response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
        response["Content-Disposition"] = (
            f'attachment; filename="personal-data-{timezone.localdate():%Y-%m-%d}.json"'
        )
        patch_cache_control(response, private=True, no_store=True)
        return response


# --- The logs, read-only ------------------------------------------------------------------


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(KeptRecordsMixin, ReadOnlyAdmin, ScopedAdmin):
    """The reveal log: who saw which constituent's personal data, and when. Kept: an
    administrator cannot delete the rows of their own reveals."""

    list_display = ["created_at", "user", "item", "field", "reason"]
    list_select_related = ["user", "case", "matter__reception__station"]
    list_filter = ["field"]
    search_fields = ["=user__username"]
    ordering = ["-created_at", "-id"]

    @admin.display(description=_("item"))
    def item(self, access: PersonalDataAccess) -> str:
        if access.case_id:
            url = reverse("admin:suggestions_suggestion_change", args=[access.case_id])
            return format_html('<a href="{}">{}</a>', url, access.case.title)
        reception = access.matter.reception
        url = reverse("admin:stations_reception_change", args=[reception.pk])
        return format_html(
            '<a href="{}">{} · {:%Y-%m-%d}</a>', url, reception.station.name, reception.date
        )


@admin.register(PersonalDataRequest)
class PersonalDataRequestAdmin(KeptRecordsMixin, ReadOnlyAdmin, ScopedAdmin):
    """Exports and erasures on request: who, when, how many items, never the number."""

    list_display = ["created_at", "kind", "user", "region", "opinion_count", "matter_count"]
    list_select_related = ["user", "region"]
    list_filter = ["kind"]
    ordering = ["-created_at", "-id"]
    fields = ["created_at", "kind", "user", "region", "reason", "suggestions", "matters"]

    @admin.display(description=_("opinions"))
    def opinion_count(self, request_row: PersonalDataRequest) -> int:
        return len(request_row.suggestions)

    @admin.display(description=_("reception matters"))
    def matter_count(self, request_row: PersonalDataRequest) -> int:
        return len(request_row.matters)
