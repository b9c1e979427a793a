"""The admin's shared machinery: region scoping for every model admin, each object's
history with its audit trail, admin actions with an intermediate form page, and
accounts."""

from auditlog.admin import LogEntryAdmin as AuditlogEntryAdmin
from auditlog.models import LogEntry as AuditEntry
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import PAGE_VAR
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ForeignKey, ManyToManyField
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin

from liaison import audit, scoping
from liaison.admin_jobs import ExportJobMixin, ImportJobMixin
from liaison.models import Notification, OutboxMessage, Region, User, WorkdayOverride
from liaison.resources import RegionResource

# The site itself (header, task menus, who may enter) is liaison.admin_site.LiaisonAdminSite.


def _is_scoped(model) -> bool:
    return (
        model is Region
        or hasattr(model, "region_path")
        or any(f.name == "region" for f in model._meta.get_fields())
    )


def scoped_choices(db_field, request, kwargs: dict) -> dict:
    """Limit a foreign-key or many-to-many form field to the user's jurisdiction."""
    related = db_field.related_model
    if "queryset" not in kwargs and _is_scoped(related):
        kwargs["queryset"] = scoping.scope(related._default_manager.all(), request.user)
    return kwargs


def admin_page(model_admin, request, template: str, context: dict) -> TemplateResponse:
    """A page of a model admin's own (an action's form, a record's form, a report), in the
    admin's frame: the site's context, the model's options and the site's URL names."""
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.opts, **context}
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, template, context)


class AuditHistoryMixin:
    """The history page of an object: the admin's own entries and the audit trail of
    every change, whoever made it (who, when, what: field, old → new, personal values
    masked), newest first, a page at a time.

    The object is loaded with ``get_object``, so the page is scoped like the object's
    change page (another region's object is a 404 in ``ScopedAdmin``).
    """

    object_history_template = "admin/liaison/object_history.html"
    history_per_page = 50

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        paginator = self.get_paginator(request, audit.history_queryset(obj), self.history_per_page)
        page = paginator.get_page(request.GET.get(PAGE_VAR, 1))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Change history: %s") % obj,
            "subtitle": None,
            "rows": audit.history_rows(obj, page),
            "page_obj": page,
            "page_range": paginator.get_elided_page_range(page.number),
            "page_var": PAGE_VAR,
            "pagination_required": paginator.num_pages > 1,
            "module_name": str(capfirst(self.opts.verbose_name_plural)),
            "object": obj,
            "opts": self.opts,
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.object_history_template, context)


class ScopedAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """A model admin that shows and offers only what lies in the user's region.

    Rows outside it are not in the changelist or the export, and their change,
    delete and history pages are a 404 (not the admin's usual redirect), so nobody
    learns by probing ids that another county's object exists.
    """

    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    def get_queryset(self, request):
        return scoping.scope(super().get_queryset(request), request.user)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("No such object in your jurisdiction."))
        return obj

    def object_to_change(self, request, object_id):
        """The object of a page beyond its change form that changes it: another region's
        is a 404 (``get_object``), one the user may not change a 403."""
        obj = self.get_object(request, unquote(object_id))
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def formfield_for_foreignkey(self, db_field: ForeignKey, request, **kwargs):
        return super().formfield_for_foreignkey(
            db_field, request, **scoped_choices(db_field, request, kwargs)
        )

    def formfield_for_manytomany(self, db_field: ManyToManyField, request, **kwargs):
        return super().formfield_for_manytomany(
            db_field, request, **scoped_choices(db_field, request, kwargs)
        )


class ScopedInline:
    """Mixin for inlines: rows and related choices scoped like the admin's own."""

    def get_queryset(self, request):
        return scoping.scope(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(
            db_field, request, **scoped_choices(db_field, request, kwargs)
        )


class ScopedImportExportAdmin(ImportJobMixin, ExportJobMixin, ImportExportModelAdmin, ScopedAdmin):
    """Excel import and export, scoped: the resource knows the user and checks each row."""

    def get_resource_kwargs(self, request, *args, **kwargs):
        return super().get_resource_kwargs(request, *args, **kwargs) | {"user": request.user}

    def get_import_data_kwargs(self, **kwargs):
        # The confirm step imports again for real: any bad row (the data may have changed
        # since the dry run) must roll the whole file back there too.
        return super().get_import_data_kwargs(**kwargs) | {
            "use_transactions": True,
            "rollback_on_validation_errors": True,
        }


class IntermediateActionMixin:
    """Admin actions that ask for a form on an intermediate page before they act.

    The page (``action_template``, an extension of ``admin/liaison/action_form.html``)
    lists the selected items and posts the selection, the action and "apply" back to
    the changelist; afterwards the action returns to where it started (an item's page
    or the changelist) through ``_finish``.
    """

    action_template = "admin/liaison/action_form.html"
    # An intermediate page lists what it acts on; more than this is a mistake, not a task.
    max_bulk_items = 200

    def _next_url(self, request) -> str | None:
        url = request.POST.get("_next", "")
        if url and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return url
        return None

    def _finish(self, request):
        """Back to where the action started: the item's page or the changelist."""
        url = self._next_url(request)
        return HttpResponseRedirect(url) if url else None

    def _too_many(self, request, items) -> bool:
        if len(items) > self.max_bulk_items:
            self.message_user(
                request,
                gettext("Select at most %(count)s items at a time.")
                % {"count": self.max_bulk_items},
                messages.WARNING,
            )
            return True
        return False

    def _intermediate(self, request, *, action, items, form, title, submit_label, intro=""):
        return admin_page(
            self,
            request,
            self.action_template,
            {
                "title": title,
                "intro": intro,
                "items": items,
                "form": form,
                "action": action,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "submit_label": submit_label,
                "next": self._next_url(request),
                "media": self.media + form.media,
            },
        )


@admin.register(Region)
class RegionAdmin(ScopedImportExportAdmin):
    resource_classes = [RegionResource]
    list_display = ["code", "name", "level", "parent"]
    list_select_related = ["parent"]
    list_filter = ["level"]
    search_fields = ["=code", "name"]
    readonly_fields = ["level", "parent"]
    ordering = ["code"]

    def get_readonly_fields(self, request, obj=None):
        # The code is the key everything hangs on: fixed once the region exists.
        return [*self.readonly_fields, "code"] if obj else self.readonly_fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        user = request.user

        class ScopedRegionForm(form):
            def clean_code(self):
                code = self.cleaned_data["code"]
                if not scoping.in_scope(user, code):
                    raise ValidationError(
                        _("Region %(code)s is outside your jurisdiction.") % {"code": code}
                    )
                return code

        return ScopedRegionForm

    def get_search_results(self, request, queryset, search_term):
        # A code typed whole or in part finds its subtree with the prefix index.
        term = search_term.strip()
        if term.isdigit():
            return queryset.filter(code__startswith=term.rstrip("0") or term), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(User)
class UserAdmin(AuditHistoryMixin, DjangoUserAdmin):
    list_display = ["username", "first_name", "role", "region", "is_active", "is_superuser"]
    list_filter = ["role", "is_active", "is_superuser"]
    list_select_related = ["region"]
    autocomplete_fields = ["region"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Liaison role"), {"fields": ("role", "region")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Liaison role"), {"fields": ("role", "region")}),
    )


@admin.register(WorkdayOverride)
class WorkdayOverrideAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["date", "is_workday", "note"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
    search_fields = ["note"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Operational records: looked at, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class HandlingButtonsMixin:
    """An item's page with buttons for the actions that apply to it now
    (``_handling_actions``: (action, label) pairs, for users who may change it), and no
    save buttons when nothing on the page is left to edit."""

    def _handling_actions(self, obj) -> list[tuple[str, str]]:
        return []

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and change:
            context["handling_actions"] = (
                self._handling_actions(obj) if self.has_change_permission(request, obj) else []
            )
            context["action_checkbox_name"] = helpers.ACTION_CHECKBOX_NAME
            if not context["adminform"].form.fields:
                context.update(show_save=False, show_save_and_continue=False)
        return super().render_change_form(request, context, add, change, form_url, obj)


class KeptRecordsMixin:
    """Records that come in through a service and stay: no add page, no delete page and
    no bulk delete."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "task", "created_at", "attempts", "sent_at", "last_error"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    show_full_result_count = False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "channel", "kind", "recipient", "subject", "status"]
    list_filter = ["channel", "status", "kind"]
    list_select_related = ["recipient"]
    search_fields = ["subject", "=dedupe_key"]
    show_full_result_count = False


# The whole audit trail crosses regions: administrators only. Office staff read an
# object's trail on its history page, scoped like the object itself.
admin.site.unregister(AuditEntry)


@admin.register(AuditEntry)
class AuditEntryAdmin(AuditlogEntryAdmin):
    show_full_result_count = False

    def has_module_permission(self, request):
        return scoping.sees_everything(request.user)

    def has_view_permission(self, request, obj=None):
        return scoping.sees_everything(request.user)
