"""The admin of outside systems: integrations (12345 hotline, Open311 clients), the work
orders they filed, and the hotline callbacks with their dead-letter list.

An integration's API key and signing secret are shown once, on the page that follows
its creation or a "regenerate"; afterwards no page shows them (the key is kept only as
a hash, the secret is never rendered). Offices see the integrations, orders and
callbacks of their own region, like everything else in the admin.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db import models
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from liaison.admin import KeptRecordsMixin, ReadOnlyAdmin, ScopedAdmin, admin_page
from liaison.rules import add_model_perms, is_admin, is_office
from suggestions import hotline
from suggestions.models import CallbackDelivery, Integration, WorkOrder

# Offices manage the integrations of their region; only administrators delete one (its
# orders keep pointing at it). Orders and callbacks are records; "retry now" is the one
# change staff make to a callback.
add_model_perms(
    "suggestions", "integration", view=is_office, add=is_office, change=is_office, delete=is_admin
)
add_model_perms("suggestions", "workorder", view=is_office)
add_model_perms("suggestions", "callbackdelivery", view=is_office, change=is_office)


def _credentials_page(model_admin, request, integration, credentials) -> TemplateResponse:
    response = admin_page(
        model_admin,
        request,
        "admin/suggestions/integration/credentials.html",
        {
            "title": gettext("Key and secret of %(name)s") % {"name": integration},
            "original": integration,
            "credentials": credentials,
            "key_header": hotline.KEY_HEADER,
        },
    )
    # Shown once: no browser or proxy cache may keep the page.
    add_never_cache_headers(response)
    return response


@admin.register(Integration)
class IntegrationAdmin(ScopedAdmin):
    list_display = ["name", "kind", "region", "is_active", "key_prefix", "last_used_at"]
    list_select_related = ["region"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "=key_prefix"]
    autocomplete_fields = ["region"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = ["name", "kind", "region", "callback_url", "is_active"]
    readonly_fields = ["key_prefix", "credentials", "created_at", "created_by", "last_used_at"]

    def get_fields(self, request, obj=None):
        return self.fields + (self.readonly_fields if obj else [])

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    @admin.display(description=_("key and secret"))
    def credentials(self, integration) -> str:
        url = reverse("admin:suggestions_integration_regenerate", args=[integration.pk])
        return format_html(
            '{} <a class="button" href="{}">{}</a>',
            gettext("Shown only when created."),
            url,
            gettext("Regenerate"),
        )

    def save_model(self, request, obj, form, change):
        if not change:
            request._integration_credentials = hotline.credentials_new(obj)
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        credentials = getattr(request, "_integration_credentials", None)
        if credentials is None:  # pragma: no cover - save_model always sets it
            return super().response_add(request, obj, post_url_continue)
        return _credentials_page(self, request, obj, credentials)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/regenerate/",
                self.admin_site.admin_view(self.regenerate_view),
                name="suggestions_integration_regenerate",
            ),
            *super().get_urls(),
        ]

    def regenerate_view(self, request, object_id):
        integration = self.object_to_change(request, unquote(object_id))
        if request.method == "POST":
            credentials = hotline.integration_regenerate(integration=integration)
            self.log_change(request, integration, gettext("Regenerated the key and secret."))
            return _credentials_page(self, request, integration, credentials)
        return admin_page(
            self,
            request,
            "admin/suggestions/integration/regenerate.html",
            {
                "title": gettext("Regenerate the key and secret of %(name)s")
                % {"name": integration},
                "original": integration,
            },
        )


@admin.register(WorkOrder)
class WorkOrderAdmin(KeptRecordsMixin, ReadOnlyAdmin, ScopedAdmin):
    list_display = ["external_id", "integration", "item", "deadline", "created_at"]
    list_select_related = ["integration", "suggestion"]
    list_filter = ["integration__kind"]
    search_fields = ["=external_id", "=suggestion__tracking_code"]
    fields = [
        "integration",
        "external_id",
        "item",
        "address",
        "latitude",
        "longitude",
        "deadline",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("item"), ordering="suggestion__received_at")
    def item(self, order) -> str:
        url = reverse("admin:suggestions_suggestion_change", args=[order.suggestion_id])
        return format_html(
            '<a href="{}">{} · {}</a>', url, order.suggestion.tracking_code, order.suggestion
        )


class DeliveryStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("dead", _("Given up (dead letters)")),
            ("pending", _("On its way")),
            ("delivered", _("Delivered")),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "dead":
                return queryset.filter(dead_at__isnull=False)
            case "pending":
                return queryset.filter(delivered_at__isnull=True, dead_at__isnull=True)
            case "delivered":
                return queryset.filter(delivered_at__isnull=False)
        return queryset


@admin.register(CallbackDelivery)
class CallbackDeliveryAdmin(KeptRecordsMixin, ReadOnlyAdmin, ScopedAdmin):
    """Every callback to the hotline; filtered by "Given up", the dead-letter list."""

    list_display = [
        "id",
        "order",
        "event_kind",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "delivered_at",
    ]
    list_select_related = ["order"]
    list_filter = [DeliveryStateFilter, "event_kind"]
    search_fields = ["=order__external_id"]
    actions = ["retry_now"]
    fields = [
        "order",
        "event_kind",
        "state",
        "payload",
        "attempts",
        "next_attempt_at",
        "last_error",
        "delivered_at",
        "dead_at",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("state"))
    def state(self, delivery) -> str:
        if delivery.delivered_at:
            return gettext("Delivered")
        if delivery.dead_at:
            return gettext("Given up")
        return gettext("On its way")

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("suggestions.change_callbackdelivery")

    @admin.action(description=_("Retry now"), permissions=["retry"])
    def retry_now(self, request, queryset):
        dead = list(queryset.filter(dead_at__isnull=False).order_by("id"))
        count = hotline.callbacks_retry_now(deliveries=dead, user=request.user)
        if count:
            self.message_user(
                request,
                gettext("%(count)s callbacks will be sent again now.") % {"count": count},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                gettext("Only callbacks that were given up can be retried."),
                messages.WARNING,
            )

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term.isdigit():
            return queryset.filter(Q(pk=term) | Q(order__external_id=term)), False
        return super().get_search_results(request, queryset, search_term)
