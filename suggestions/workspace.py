"""The suggestions app's panels on the deputy's home page."""

from django.urls import reverse
from django.utils.translation import gettext as _

from liaison.workspace import Panel, register_panel
from suggestions import deputy_suggestions, selectors
from suggestions.models import Case


@register_panel
def addressed_panel(user, deputy) -> Panel:
    waiting = (
        selectors.deputy_addressed(user=user)
        .filter(status=Case.Status.RECEIVED, deputy_decision="")
        .order_by("received_at")[:5]
    )
    return Panel(
        title=_("Matters addressed to me"),
        order=30,
        items=[
            {
                "text": suggestion.title,
                "note": f"{suggestion.received_at:%Y-%m-%d}",
                "badge": _("Waiting for you"),
                "url": reverse("suggestions:deputy_item", args=[suggestion.pk]),
            }
            for suggestion in waiting
        ],
        empty=_("Nothing is waiting for you."),
        link=reverse("suggestions:deputy_items"),
        link_text=_("All opinions to me"),
    )


@register_panel
def suggestions_panel(user, deputy) -> Panel:
    mine = deputy_suggestions.deputy_suggestions_for(user=user)[:5]
    return Panel(
        title=_("My suggestions"),
        order=40,
        items=[
            {
                "text": suggestion.title,
                "note": f"{suggestion.year}-{suggestion.number}" if suggestion.number else "",
                "badge": suggestion.get_status_display(),
                "url": reverse("suggestions:deputy_suggestion", args=[suggestion.pk]),
            }
            for suggestion in mine
        ],
        empty=_("You have no suggestions yet."),
        link=reverse("suggestions:deputy_suggestions"),
        link_text=_("All my suggestions"),
    )


@register_panel
def receptions_panel(user, deputy) -> Panel:
    return Panel(
        title=_("Reception ledger"),
        order=50,
        link=reverse("suggestions:reception_new"),
        link_text=_("Log a reception"),
        items=[
            {"text": _("My receptions"), "url": reverse("suggestions:receptions")},
        ],
    )
