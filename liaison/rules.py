"""Who may do what, as predicates (django-rules). Apps add their permissions in rules.py.

Object rows are scoped by region in querysets (liaison.scoping); these rules decide
which kinds of object a role may see or change at all.
"""

import rules


@rules.predicate
def is_office_staff(user) -> bool:
    return bool(
        user.is_authenticated and user.is_active and user.role == "office" and user.region_id
    )


@rules.predicate
def is_department_handler(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role == "department")


@rules.predicate
def is_deputy(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role == "deputy")


is_admin = rules.is_superuser
is_office = is_admin | is_office_staff


def add_model_perms(app_label: str, model: str, *, view=None, add=None, change=None, delete=None):
    """Register the four Django model permissions of one model with predicates."""
    for action, predicate in (("view", view), ("add", add), ("change", change), ("delete", delete)):
        if predicate is not None:
            rules.add_perm(f"{app_label}.{action}_{model}", predicate)


# The admin asks for module permission before listing an app.
rules.add_perm("liaison", is_office)
# Regions: office staff maintain the divisions below them (a new village, a rename);
# deleting one would orphan stations and deputies, so only administrators may.
add_model_perms("liaison", "region", view=is_office, add=is_office, change=is_office)
# Accounts are handed out by administrators.
add_model_perms("liaison", "user", view=is_admin, add=is_admin, change=is_admin, delete=is_admin)


@rules.predicate
def is_province_staff(user) -> bool:
    return bool(is_office_staff(user) and user.region_id and user.region_id.endswith("0" * 10))


# The holiday calendar is national: provincial offices and administrators keep it.
add_model_perms(
    "liaison",
    "workdayoverride",
    view=is_office,
    add=is_admin | is_province_staff,
    change=is_admin | is_province_staff,
    delete=is_admin | is_province_staff,
)
