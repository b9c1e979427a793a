"""Who may do what with ballot cycles, proposals, candidates and projects.

Office staff run their region's cycles in the admin (rows are scoped by region in
querysets); deputies vote and inspect through their own pages, never the admin;
department handlers have nothing here.

Secrecy: ``ballot``, ``mark`` and ``rollentry`` get no permission at all and no admin,
so not even an administrator browses them; the roll is shown only as a count and, on
the round page, as the list of who voted. Paper tally entries have no model permission
either: they are reached only through the tally entry page (``votes.enter_tally``),
which shows each clerk their own entry and never the other's.
"""

import rules

from liaison import scoping
from liaison.rules import add_model_perms, is_admin, is_office, is_office_staff, is_province_staff


@rules.predicate
def may_edit_negative_item(user, item) -> bool:
    """A regional item is kept by the office whose region contains it; an item that
    applies everywhere (no region) by the province's office and administrators."""
    if item is None:
        return bool(is_office(user))
    if item.region_id is None:
        return bool(is_admin(user) or is_province_staff(user))
    return bool(
        is_admin(user) or (is_office_staff(user) and scoping.in_scope(user, item.region_id))
    )


rules.add_perm("votes", is_office)

# A cycle is set up and run by its congress's office; deleting one is an administrator's
# act (and the admin refuses it for any cycle whose voting has opened).
add_model_perms(
    "votes", "ballotcycle", view=is_office, add=is_office, change=is_office, delete=is_admin
)
# The candidate list is edited until voting opens; the model refuses any change after.
add_model_perms(
    "votes", "candidate", view=is_office, add=is_office, change=is_office, delete=is_office
)
# Proposals are screened, not typed over or deleted; rejection is the office's answer.
add_model_perms(
    "votes", "proposal", view=is_office, add=is_office, change=is_office, delete=is_admin
)
add_model_perms(
    "votes",
    "negativelistitem",
    view=is_office,
    add=is_office,
    change=may_edit_negative_item,
    delete=may_edit_negative_item,
)
# Records written by the services: read in the admin, never typed.
for model in ("cycleevent", "round", "roundresult"):
    add_model_perms("votes", model, view=is_office)
add_model_perms(
    "votes", "attendance", view=is_office, add=is_office, change=is_office, delete=is_office
)
rules.add_perm("votes.enter_tally", is_office)

# Implementation tracking: projects come from the count (implementation_start), so
# nobody adds one by hand; the office keeps plans, milestones, photos and reports.
add_model_perms("votes", "project", view=is_office, change=is_office, delete=is_admin)
for model in ("milestone", "projectphoto"):
    add_model_perms(
        "votes", model, view=is_office, add=is_office, change=is_office, delete=is_office
    )
# A progress report is part of the project's public timeline: added, not rewritten.
add_model_perms(
    "votes", "progressreport", view=is_office, add=is_office, change=is_admin, delete=is_admin
)
add_model_perms(
    "votes", "inspection", view=is_office, add=is_office, change=is_office, delete=is_admin
)
