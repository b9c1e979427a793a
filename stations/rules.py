"""Who may do what with stations, duty and performance points.

Office staff manage everything here in their region (rows are scoped in querysets);
a deputy sees their own duties, points card and report through the deputy pages;
department handlers have nothing here.
"""

import rules

from liaison.rules import add_model_perms, is_admin, is_deputy, is_office


@rules.predicate
def has_deputy_profile(user) -> bool:
    return getattr(user, "deputy", None) is not None


is_linked_deputy = is_deputy & has_deputy_profile

rules.add_perm("stations", is_office)
for model in (
    "deputy",
    "membership",
    "deputygroup",
    "station",
    "placement",
    "receptionschedule",
    "receptionday",
    "duty",
    "pointrule",
    "gradeband",
):
    add_model_perms(
        "stations", model, view=is_office, add=is_office, change=is_office, delete=is_office
    )
# A congress is set up once a term by the office of its own level or above.
add_model_perms(
    "stations", "congress", view=is_office, add=is_office, change=is_office, delete=is_admin
)
# Swaps are the deputies' own business: the office reads them, deputies decide them.
add_model_perms("stations", "dutyswap", view=is_office)
# Points entries are made by services (awards, claims) or recorded by the office; they
# are verified or rejected, never deleted, except by an administrator.
add_model_perms(
    "stations", "pointentry", view=is_office, add=is_office, change=is_office, delete=is_admin
)

# The deputy pages: duties, the points card and the annual report, each their own.
rules.add_perm("stations.view_own_duties", is_linked_deputy)
rules.add_perm("stations.view_own_points", is_linked_deputy)
