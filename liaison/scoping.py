"""Jurisdiction scoping: the one helper every admin, view and API queryset goes through.

Office staff see the subtree of their region: rows whose region code starts with the
significant digits of the staff member's region. The filter is on the region foreign
key column itself (Django drops the join because the code is Region's primary key), so
on PostgreSQL it is an index range scan on ``region_id LIKE '4304%'``.

A model says where its region is with a ``region_path`` attribute: ``"region"`` (the
default), ``"station__region"`` for rows that hang off a station, or ``""`` for Region.
"""

from django.db.models import Model, QuerySet


def region_lookup(model: type[Model]) -> str:
    path = getattr(model, "region_path", "region")
    return f"{path}__code__startswith" if path else "code__startswith"


def sees_everything(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser)


def scope(queryset: QuerySet, user) -> QuerySet:
    """Restrict ``queryset`` to what ``user`` may see by region."""
    if sees_everything(user):
        return queryset
    if not (user and user.is_authenticated and user.is_active):
        return queryset.none()
    prefix = getattr(user, "region_prefix", None)
    if prefix is None:
        return queryset.none()
    return queryset.filter(**{region_lookup(queryset.model): prefix})


def in_scope(user, region_code: str | None) -> bool:
    """Whether a region code lies in the user's jurisdiction (no query)."""
    if sees_everything(user):
        return True
    prefix = getattr(user, "region_prefix", None)
    return bool(prefix and region_code and region_code.startswith(prefix))
