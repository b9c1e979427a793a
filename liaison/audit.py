"""The audit trail: who changed what and when, for every record people work on.

django-auditlog writes one row per create, change and delete of a registered model,
whoever makes it: the admin, a deputy's or a department's page, the API or a service
(the request's user is the actor; a Celery task has none and shows as "system").
The admin's history page of each object shows these rows beside the admin's own.

What is recorded is chosen here, by model label, so ``liaison`` registers the other
apps' models without importing them (arrows point one way).

- Personal fields are masked before they are written (138****8000, 张*): the trail
  outlives the keeping period, and anonymising an item must leave nothing behind.
- The secret ballot is never recorded: ballots, marks, the roll of who voted,
  attendance and the paper tallies are not registered, and neither is the points
  entry a cast earns (see docs/security.md, "Audit trail").
- Append-only records (the items' and cycles' event logs, deadline notices, reveals
  of a phone number, notifications, the outbox) are their own trail.

``QuerySet.update()`` and ``bulk_create()`` send no signals, so they leave no row.
"""

import datetime as dt
from dataclasses import dataclass, field

from auditlog.models import LogEntry as AuditEntry
from auditlog.registry import auditlog
from auditlog.signals import pre_log
from django.apps import apps
from django.contrib.admin.models import LogEntry as AdminEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Value
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

MASK = "liaison.audit.mask_personal"

# label -> auditlog.register() options. Every other model is not recorded.
AUDITED: dict[str, dict] = {
    # Accounts: who may do what. Never the password hash or the login times.
    "liaison.user": {
        "include_fields": [
            "username",
            "first_name",
            "last_name",
            "email",
            "is_active",
            "is_staff",
            "is_superuser",
            "role",
            "region",
        ],
        "mask_fields": ["email"],
        "mask_callable": MASK,
        "m2m_fields": {"groups"},
    },
    "liaison.region": {},
    "liaison.workdayoverride": {},
    # Deputies, stations, duty and points.
    "stations.congress": {},
    "stations.deputy": {"mask_fields": ["phone"], "mask_callable": MASK},
    "stations.membership": {},
    "stations.deputygroup": {"m2m_fields": {"members"}},
    "stations.station": {},
    "stations.placement": {},
    "stations.receptionschedule": {},
    "stations.receptionday": {},
    "stations.duty": {},
    "stations.dutyswap": {},
    "stations.pointrule": {},
    "stations.gradeband": {},
    "stations.pointentry": {},
    "stations.reception": {"exclude_fields": ["submission_key"], "m2m_fields": {"deputies"}},
    # Opinions, deputy suggestions and their handling. Case is the parent row of both
    # kinds of item: the handling services save it directly.
    "suggestions.category": {},
    "suggestions.department": {
        "mask_fields": ["supervisor_phone"],
        "mask_callable": MASK,
        "m2m_fields": {"users"},
    },
    "suggestions.routingrule": {},
    "suggestions.case": {},
    # Names and phones are recorded masked; the phone's keyed hash (an exact-match
    # index, liaison.crypto) not at all: the trail must not outlive an erasure with it.
    "suggestions.suggestion": {
        "exclude_fields": ["submission_key", "phone_hmac"],
        "mask_fields": ["name", "phone"],
        "mask_callable": MASK,
    },
    "suggestions.deputysuggestion": {},
    "suggestions.cosigner": {},
    "suggestions.resultclass": {},
    "suggestions.assignment": {},
    "suggestions.reply": {},
    "suggestions.followup": {},
    "suggestions.receptionmatter": {
        "exclude_fields": ["phone_hmac"],
        "mask_fields": ["name", "phone"],
        "mask_callable": MASK,
    },
    # Livelihood-project ballots, outside the secret parts.
    "votes.ballotcycle": {},
    "votes.negativelistitem": {},
    "votes.proposal": {},
    "votes.candidate": {},
    "votes.round": {},
    "votes.project": {},
    "votes.milestone": {},
    "votes.progressreport": {},
    "votes.projectphoto": {},
    "votes.inspection": {},
}

# Never recorded, whatever anyone adds above: a timestamped row must never tie a person
# to a ballot, and one clerk must never read the other's tally figures.
SECRET: frozenset[str] = frozenset(
    {
        "votes.ballot",
        "votes.mark",
        "votes.rollentry",
        "votes.attendance",
        "votes.tallysheet",
        "votes.tallyline",
    }
)


def mask_personal(value: str) -> str:
    """138****8000 for a number (a phone, an ID), 张* for a name, ***@x.cn for e-mail.

    auditlog passes every value as a string, an empty one as "" or "None"."""
    value = str(value)
    if value in ("", "None"):
        return value
    if "@" in value:
        return "***" + value[value.index("@") :]
    digits = value.replace(" ", "").replace("-", "").lstrip("+")
    if digits.isdigit():
        return value[:3] + "****" + value[-4:] if len(value) >= 7 else "****"
    return value[0] + "*" * max(len(value) - 1, 1)


def _no_trail_for_a_cast(sender, instance, **kwargs):
    """The points a deputy earns by casting a ballot are written in the cast's own
    transaction: their audit row would stamp the moment a deputy voted, which nothing
    else on the ballot side may carry. The entry itself is the record."""
    if instance.kind == "ballot_cast":
        return False
    return None


def register_models() -> None:
    """Register the audited models (called once, from ``LiaisonConfig.ready``)."""
    if overlap := SECRET & AUDITED.keys():
        raise RuntimeError(f"Secret-ballot models must never be audited: {sorted(overlap)}")
    for label, options in AUDITED.items():
        model = apps.get_model(label)
        if auditlog.contains(model):
            continue
        # The table's own columns only: without a list, auditlog's diff of a new row
        # also walks the reverse relations and records one junk value for each. A child's
        # link to its parent row (Suggestion → Case) and a generated id say nothing.
        excluded = set(options.get("exclude_fields", ()))
        columns = [
            f.name
            for f in model._meta.concrete_fields
            if f.name not in excluded
            and not isinstance(f, models.AutoField)  # the entry names its object already
            and not (f.remote_field and f.remote_field.parent_link)
        ]
        auditlog.register(model, **{"include_fields": columns, **options})
    pre_log.connect(
        _no_trail_for_a_cast,
        sender=apps.get_model("stations.pointentry"),
        dispatch_uid="liaison-audit-no-trail-for-a-cast",
    )


# --- The history of one object -------------------------------------------------------


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class HistoryRow:
    at: dt.datetime
    actor: str
    action: str
    source: str
    message: str = ""
    changes: list[Change] = field(default_factory=list)


def _content_types(model) -> tuple[ContentType, list[ContentType]]:
    """The model's content type, and those its rows are audited under: its own and its
    parents' (a handling service saves a suggestion's Case row directly)."""
    models_ = [model, *model._meta.get_parent_list()]
    types = ContentType.objects.get_for_models(*models_, for_concrete_models=False)
    return types[model], [types[m] for m in models_]


def history_queryset(obj):
    """Both trails of one object as one queryset of (source, id, time), newest first:
    a UNION ALL, so the paginator counts and slices it in the database."""
    own, audited = _content_types(type(obj))
    pk = str(obj.pk)
    admin_rows = (
        AdminEntry.objects.filter(content_type=own, object_id=pk)
        .order_by()
        .values_list(Value("admin"), "id", "action_time")
    )
    audit_rows = (
        AuditEntry.objects.filter(content_type__in=audited, object_pk=pk)
        .order_by()
        .values_list(Value("audit"), "id", "timestamp")
    )
    return admin_rows.union(audit_rows, all=True).order_by("-action_time", "-id")


def _who(user) -> str:
    if user is None:
        return gettext("system")
    return user.get_full_name() or user.get_username()


def history_rows(obj, page) -> list[HistoryRow]:
    """The rows of one page of ``history_queryset``: two queries, and one per related
    model named in the changes."""
    ids = {"admin": [], "audit": []}
    for source, pk, _at in page:
        ids[source].append(pk)
    admin_entries = AdminEntry.objects.select_related("user").in_bulk(ids["admin"])
    audit_entries = AuditEntry.objects.select_related("actor").in_bulk(ids["audit"])
    names = _related_names(type(obj), audit_entries.values())
    rows = []
    for source, pk, _at in page:
        if source == "admin":
            entry = admin_entries[pk]
            rows.append(
                HistoryRow(
                    at=entry.action_time,
                    actor=_who(entry.user),
                    action=_ADMIN_ACTIONS[entry.action_flag],
                    source=gettext("admin form"),
                    message=entry.get_change_message(),
                )
            )
        else:
            entry = audit_entries[pk]
            rows.append(
                HistoryRow(
                    at=entry.timestamp,
                    actor=_who(entry.actor),
                    action=_AUDIT_ACTIONS.get(entry.action, ""),
                    source=gettext("recorded change"),
                    changes=_changes(
                        type(obj),
                        entry.changes or {},
                        names,
                        created=entry.action == AuditEntry.Action.CREATE,
                    ),
                )
            )
    return rows


_ADMIN_ACTIONS = {1: _("Added"), 2: _("Changed"), 3: _("Deleted")}
_AUDIT_ACTIONS = {
    AuditEntry.Action.CREATE: _("Created"),
    AuditEntry.Action.UPDATE: _("Changed"),
    AuditEntry.Action.DELETE: _("Deleted"),
    AuditEntry.Action.ACCESS: _("Viewed"),
}
_TEXT_LIMIT = 200


def _field(model, name: str):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _related_names(model, entries) -> dict[tuple[type, str], str]:
    """The names of the objects that foreign keys in the changes point to, one query per
    related model."""
    wanted: dict[type, set[str]] = {}
    for entry in entries:
        for name, values in (entry.changes or {}).items():
            field_ = _field(model, name)
            if isinstance(values, list) and isinstance(field_, models.ForeignKey):
                related = field_.related_model
                wanted.setdefault(related, set()).update(
                    v for v in values if v not in (None, "None", "")
                )
    names = {}
    for related, keys in wanted.items():
        for pk, instance in related._default_manager.in_bulk(list(keys)).items():
            names[related, str(pk)] = str(instance)
    return names


def _display(field_, value, names) -> str:
    if value in (None, "None", ""):
        return "—"
    value = str(value)
    if field_ is None:
        return value[:_TEXT_LIMIT]
    if isinstance(field_, models.ForeignKey):
        return names.get((field_.related_model, value), f"#{value}")
    if field_.choices:
        return str(dict(field_.flatchoices).get(value, value))
    if isinstance(field_, models.BooleanField):
        return gettext("Yes") if value == "True" else gettext("No")
    if isinstance(field_, models.DateTimeField):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_naive(moment):
            # auditlog stores date-times as naive UTC.
            moment = moment.replace(tzinfo=dt.UTC)
        return formats.localize(timezone.localtime(moment))
    return value if len(value) <= _TEXT_LIMIT else value[:_TEXT_LIMIT] + "…"


def _changes(model, changes: dict, names, *, created: bool) -> list[Change]:
    """Field, old and new value of each change, in the model's field order; a new row
    lists only the fields it was given a value for."""
    order = {f.name: index for index, f in enumerate(model._meta.get_fields())}
    out = []
    for name in sorted(changes, key=lambda name: order.get(name, len(order))):
        values = changes[name]
        field_ = _field(model, name)
        label = str(getattr(field_, "verbose_name", name))
        if isinstance(values, dict) and values.get("type") == "m2m":
            objects = "、".join(values.get("objects", []))
            if values.get("operation") == "add":
                text = gettext("added: %(objects)s") % {"objects": objects}
            else:
                text = gettext("removed: %(objects)s") % {"objects": objects}
            out.append(Change(label, "", text))
            continue
        old, new = [*values, None, None][:2] if isinstance(values, list) else (None, values)
        after = _display(field_, new, names)
        if created:
            if after != "—":
                out.append(Change(label, "", after))
        else:
            out.append(Change(label, _display(field_, old, names), after))
    return out
