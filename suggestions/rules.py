import rules

from liaison.rules import add_model_perms, is_admin, is_office, is_province_staff

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
