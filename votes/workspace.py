"""The votes app's panel on the deputy's home page: the rounds open to the deputy, each
marked voted or not yet (the roll says that much; never how)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from liaison.workspace import Panel, register_panel
from votes import selectors


@register_panel
def ballots_panel(user, deputy) -> Panel:
    # The panel names the rounds only: no need for the candidates the selector prefetches.
    rounds = selectors.open_rounds_for(deputy).prefetch_related(None)
    return Panel(
        title=_("Open ballots"),
        order=30,
        items=[
            {
                "text": f"{round_.cycle.title} · {round_.get_kind_display()}",
                "url": reverse("votes:ballot", args=[round_.pk]),
                "badge": _("Voted") if round_.has_voted else _("Not voted yet"),
                "note": round_.cycle.congress.name,
            }
            for round_ in rounds
        ],
        empty=_("No ballot is open for you."),
        link=reverse("votes:deputy_ballots"),
        link_text=_("My ballots"),
    )
