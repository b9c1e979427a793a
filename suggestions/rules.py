import rules

from liaison import regions
from liaison.rules import add_model_perms, is_admin, is_office, is_office_staff, is_province_staff

rules.add_perm("suggestions", is_office)
# Categories are one list for the province: its office and administrators keep it.
add_model_perms(
    "suggestions",
    "category",
    view=is_office,
    add=is_admin | is_province_staff,
    change=is_admin | is_province_staff,
    delete=is_admin,
)
for model in ("department", "routingrule"):
    add_model_perms(
        "suggestions", model, view=is_office, add=is_office, change=is_office, delete=is_office
    )
# Items are never deleted: they are closed, merged or rejected through the services.
add_model_perms("suggestions", "suggestion", view=is_office, add=is_office, change=is_office)
for model in ("assignment", "reply", "followup", "event", "personaldataaccess", "photo"):
    add_model_perms("suggestions", model, view=is_office)


@rules.predicate
def is_county_or_higher_staff(user) -> bool:
    return bool(
        is_office_staff(user) and regions.level_of(user.region_id) in ("province", "city", "county")
    )


# Exporting or erasing one person's data on their request (suggestions.privacy): county
# offices and above, over their own jurisdiction; a township clerk passes it on.
rules.add_perm("suggestions.manage_personal_data", is_admin | is_county_or_higher_staff)
add_model_perms("suggestions", "personaldatarequest", view=is_admin | is_county_or_higher_staff)
# Deputy suggestions: the office reviews, numbers and assigns them; deputies write them
# in their own pages, never in the admin. Result classes are a province-wide list.
add_model_perms("suggestions", "deputysuggestion", view=is_office, change=is_office)
add_model_perms("suggestions", "cosigner", view=is_office)
add_model_perms(
    "suggestions",
    "resultclass",
    view=is_office,
    add=is_admin | is_province_staff,
    change=is_admin | is_province_staff,
    delete=is_admin,
)
