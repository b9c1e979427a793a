import rules

from liaison.rules import add_model_perms, is_admin, is_office

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
):
    add_model_perms(
        "stations", model, view=is_office, add=is_office, change=is_office, delete=is_office
    )
# A congress is set up once a term by the office of its own level or above.
add_model_perms(
    "stations", "congress", view=is_office, add=is_office, change=is_office, delete=is_admin
)
