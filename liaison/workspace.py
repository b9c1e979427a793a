"""Panels on the deputy's home page (/deputy/), contributed by each app.

The home page lives in ``suggestions`` but shows duties and points (``stations``) and
open ballots (``votes``), and ``suggestions`` may not import ``votes``. So each app
registers a panel function here in its ``AppConfig.ready``; the page calls them all.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Panel:
    """One block of the deputy's home page."""

    title: str
    order: int = 100
    items: list[dict] = field(default_factory=list)  # {"text", "url", "note", "badge"}
    empty: str = ""
    link: str = ""
    link_text: str = ""


_PANELS: list[Callable] = []


def register_panel(function: Callable) -> Callable:
    """Register ``function(user, deputy) -> Panel | None``; usable as a decorator."""
    if function not in _PANELS:
        _PANELS.append(function)
    return function


def panels_for(user, deputy) -> list[Panel]:
    panels = [panel for function in _PANELS if (panel := function(user, deputy)) is not None]
    return sorted(panels, key=lambda panel: panel.order)
