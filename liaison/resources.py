"""Excel import and export (django-import-export), scoped like everything else.

A row outside the importing user's jurisdiction is a row error; any row error rolls back
the whole file, so a file with one bad row changes nothing.

A large file is imported by a background job (``ScopedResource.import_job``) in two
passes: every row is checked first, writing nothing, so progress can be saved as it
goes; then, only if no row has an error, all rows are written in one transaction.
The check makes a fixed number of queries for the whole file rather than several per
row: existing rows are loaded by their import key in chunks, foreign keys are looked up
once per distinct value, and the key's uniqueness is checked against those loads.
"""

import copy
from itertools import islice

from auditlog.cid import get_cid
from auditlog.context import auditlog_disabled, set_actor
from auditlog.diff import (
    get_field_value,
    get_mask_function,
    is_primitive,
    model_instance_diff,
    track_field,
)
from auditlog.models import LogEntry as AuditEntry
from auditlog.registry import auditlog
from auditlog.signals import pre_log
from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connections, models, transaction
from django.db.models.signals import post_save, pre_save
from django.utils.encoding import smart_str
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from import_export import fields, resources, widgets
from import_export.instance_loaders import ModelInstanceLoader

from liaison import jobs, regions, scoping
from liaison.models import Region

# Rows per query when loading existing rows and per INSERT/UPDATE when writing a job.
JOB_BATCH = 1000
# Rows with errors listed on a failed job; the rest are counted.
ERRORS_SHOWN = 10


def _chunks(items, size: int):
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class CachedForeignKeyWidget(widgets.ForeignKeyWidget):
    """A foreign key looked up once per distinct value in a file, not once per row.

    The cache lives as long as the resource (one import): a file of 20,000 deputies names
    a few hundred regions. Values it returns exist, so a job's check need not ask the
    database again (``verifies_existence``).
    """

    verifies_existence = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._cache = {}

    def reset_cache(self) -> None:
        self._cache = {}

    def get_instance_by_lookup_fields(self, value, row, **kwargs):
        if value not in self._cache:
            try:
                found = super().get_instance_by_lookup_fields(value, row, **kwargs)
            except self.model.DoesNotExist:
                found = None
            self._cache[value] = found
        if self._cache[value] is None:
            raise self.model.DoesNotExist
        return self._cache[value]


class _ChunkedInstanceLoader(ModelInstanceLoader):
    """Loads the file's existing rows (in the user's scope) by import key, in chunks,
    and notes which keys are taken anywhere, for the uniqueness check of new rows."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        field = resource.fields[resource.get_import_id_fields()[0]]
        self.field = field
        self.instances = {}
        self.taken = set()
        if field.column_name not in (dataset.headers or []):
            return
        keys = set()
        for row in dataset.dict:
            try:
                key = field.clean(row)
            except (ValueError, ValidationError):
                continue  # the row's own check reports it
            if key not in (None, ""):
                keys.add(key)
        manager = resource._meta.model._default_manager
        for chunk in _chunks(sorted(keys, key=str), JOB_BATCH):
            lookup = {f"{field.attribute}__in": chunk}
            for instance in resource.get_queryset().filter(**lookup):
                self.instances[field.get_value(instance)] = instance
            self.taken.update(manager.filter(**lookup).values_list(field.attribute, flat=True))

    def get_instance(self, row):
        try:
            return self.instances.get(self.field.clean(row))
        except (ValueError, ValidationError):
            return None


def _values(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def _is_audit_receiver(receiver) -> bool:
    return getattr(receiver, "__module__", "").startswith("auditlog.")


def _save_receivers(model, signal) -> list | None:
    try:
        receivers = signal._live_receivers(model)
    except (AttributeError, TypeError):  # a Django without this (private) method
        return None
    if isinstance(receivers, tuple):  # Django 5: (sync, async)
        receivers = [r for group in receivers for r in group]
    return list(receivers)


def _bulk_writable(model) -> bool:
    """Whether rows of ``model`` may be written with bulk_create/bulk_update: it has no
    save() of its own and no save signal receivers but the audit log's, whose rows
    ``_audit_bulk`` writes instead, and ones marked ``bulk_safe`` (they only need to know
    that something changed: cache invalidation), which ``_after_bulk`` calls once."""
    if model.save is not models.Model.save:
        return False
    for signal in (pre_save, post_save):
        receivers = _save_receivers(model, signal)
        if receivers is None:
            return not signal.has_listeners(model)
        if not all(_is_audit_receiver(r) or getattr(r, "bulk_safe", False) for r in receivers):
            return False
    return True


def _after_bulk(model) -> None:
    """Call the ``bulk_safe`` save receivers once for rows written in bulk."""
    for receiver in _save_receivers(model, post_save) or []:
        if getattr(receiver, "bulk_safe", False):
            receiver(sender=model)


def _bulk_update(model, instances: list, names: list[str], *, using: str) -> None:
    """``bulk_update`` in one ``UPDATE … FROM (VALUES …)`` on PostgreSQL.

    Django's bulk_update builds a CASE WHEN per field and row, which costs about a
    millisecond of Python per row; a file of 20,000 changed rows would take most of a
    minute. Values are prepared by each field, as bulk_update does.
    """
    db = connections[using]
    if db.vendor != "postgresql" or not names:
        model._default_manager.db_manager(using).bulk_update(instances, names)
        return
    pk = model._meta.pk
    columns = [pk, *(model._meta.get_field(name) for name in names)]
    quote = db.ops.quote_name
    row = "(" + ", ".join(f"CAST(%s AS {field.db_type(db)})" for field in columns) + ")"
    params = [
        field.get_db_prep_save(getattr(instance, field.attname), db)
        for instance in instances
        for field in columns
    ]
    table, key = quote(model._meta.db_table), quote(pk.column)
    assignments = ", ".join(
        f"{quote(field.column)} = v.{quote(field.column)}" for field in columns[1:]
    )
    names_sql = ", ".join(quote(field.column) for field in columns)
    values = ", ".join([row] * len(instances))
    with db.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET {assignments} "  # noqa: S608 (names are quoted)
            f"FROM (VALUES {values}) AS v ({names_sql}) WHERE t.{key} = v.{key}",
            params,
        )


class _CreatedDiff:
    """``model_instance_diff(None, row)`` for many new rows of one model.

    auditlog works out the tracked fields, the masking function (an import by dotted
    path) and the "before" value of every field again for each row; for a file of
    100,000 deputies that was a fifth of the import. Here they are worked out once per
    model; each row costs one ``get_field_value`` per field, and the result is the same
    dict (tests/stations/test_import.py compares the two).
    """

    def __init__(self, model, *, use_json: bool):
        self.use_json = use_json
        options = auditlog.get_model_fields(model)
        fields = [f for f in model._meta.get_fields() if track_field(f)]
        if options["include_fields"]:
            fields = [f for f in fields if f.name in options["include_fields"]]
        if options["exclude_fields"]:
            fields = [f for f in fields if f.name not in options["exclude_fields"]]
        masked = set(options["mask_fields"])
        mask = get_mask_function(options.get("mask_callable")) if masked else None
        self.fields = [
            (field, get_field_value(None, field, use_json), mask if field.name in masked else None)
            for field in fields
        ]

    def __call__(self, new) -> dict | None:
        diff = {}
        for field, old_value, mask in self.fields:
            new_value = get_field_value(new, field, self.use_json)
            if old_value == new_value:
                continue
            if mask is not None:
                diff[field.name] = (mask(smart_str(old_value)), mask(smart_str(new_value)))
            elif not self.use_json:
                diff[field.name] = (smart_str(old_value), smart_str(new_value))
            else:
                diff[field.name] = (
                    old_value if is_primitive(old_value) else smart_str(old_value),
                    new_value if is_primitive(new_value) else smart_str(new_value),
                )
        return diff or None


def _audit_bulk(pairs: list, *, actor) -> None:
    """The audit trail's rows for rows written in bulk, as its signal receivers would
    have written them one by one (bulk writes send no signals): one per created row and
    per changed row, with the masked differences, ``actor`` as who made them."""
    if not pairs or auditlog_disabled.get():
        return
    model = type(pairs[0][1])
    if not auditlog.contains(model):
        return
    content_type = ContentType.objects.get_for_model(model)
    actor = actor if getattr(actor, "pk", None) else None
    use_json = settings.AUDITLOG_STORE_JSON_CHANGES
    created_diff = _CreatedDiff(model, use_json=use_json)
    entries = []
    for old, new in pairs:
        action = AuditEntry.Action.CREATE if old is None else AuditEntry.Action.UPDATE
        if any(result is False for _, result in pre_log.send(model, instance=new, action=action)):
            continue
        if old is None:
            changes = created_diff(new)
        else:
            changes = model_instance_diff(old, new, use_json_for_changes=use_json)
        if not changes:
            continue
        entries.append(
            AuditEntry(
                content_type=content_type,
                object_pk=str(new.pk),
                object_id=new.pk if isinstance(new.pk, int) else None,
                object_repr=str(new),
                serialized_data=AuditEntry.objects._get_serialized_data_or_none(new),
                action=action,
                changes=changes,
                actor=actor,
                actor_email=getattr(actor, "email", None),
                cid=get_cid(),
            )
        )
    for chunk in _chunks(entries, JOB_BATCH):
        AuditEntry.objects.bulk_create(chunk)


class _JobState:
    """What a resource remembers while it checks a file for a job."""

    def __init__(self, progress):
        self.progress = progress
        self.loader = None
        self.seen = {}  # import key -> the row number it was first seen on
        self.originals = {}  # id(instance) -> a copy of the row before it was applied


def describe_import_errors(result) -> str:
    """The reason a job's import failed, for people: each bad row's number and errors."""
    lines = [str(getattr(error, "error", error)) for error in result.base_errors]
    rows = [(row.number, row.error_dict) for row in result.invalid_rows]
    rows += [
        (row.number, {NON_FIELD_ERRORS: [_("The row could not be imported.")]})
        for row in result.error_rows
    ]
    rows.sort(key=lambda item: item[0])
    if rows:
        lines.insert(
            0,
            ngettext(
                "Nothing was imported: %(count)s row has errors.",
                "Nothing was imported: %(count)s rows have errors.",
                len(rows),
            )
            % {"count": number_format(len(rows), force_grouping=True)},
        )
    for number, error_dict in rows[:ERRORS_SHOWN]:
        parts = [
            " ".join(str(m) for m in messages)
            if field == NON_FIELD_ERRORS
            else f"{field}: {' '.join(str(m) for m in messages)}"
            for field, messages in error_dict.items()
        ]
        lines.append(
            _("Row %(number)s: %(errors)s")
            % {"number": number_format(number, force_grouping=True), "errors": "; ".join(parts)}
        )
    if len(rows) > ERRORS_SHOWN:
        more = len(rows) - ERRORS_SHOWN
        lines.append(
            ngettext(
                "… and %(count)s more row with errors.",
                "… and %(count)s more rows with errors.",
                more,
            )
            % {"count": number_format(more, force_grouping=True)}
        )
    return "\n".join(lines) or _("Nothing was imported: the file could not be read.")


class ScopedResource(resources.ModelResource):
    """A resource that knows who imports, and refuses rows outside their region."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self._job = None
        self._current_row_number = None

    def before_import(self, dataset, **kwargs):
        self.user = kwargs.get("user", self.user)
        for field in self.fields.values():
            if isinstance(field.widget, CachedForeignKeyWidget):
                field.widget.reset_cache()
        super().before_import(dataset, **kwargs)

    def get_queryset(self):
        # Rows are matched to existing objects only inside the user's jurisdiction, so a
        # file cannot reach (and move or rename) another county's station by its code.
        queryset = super().get_queryset()
        return scoping.scope(queryset, self.user) if self.user is not None else queryset

    def region_code_of(self, instance) -> str | None:
        return getattr(instance, "region_id", None)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        code = self.region_code_of(instance)
        if self.user is not None and code and not scoping.in_scope(self.user, code):
            errors.setdefault("region", []).append(
                _("Region %(code)s is outside your jurisdiction.") % {"code": code}
            )
        key = self._meta.import_id_fields[0] if self._meta.import_id_fields else None
        value = getattr(instance, key, None) if key else None
        if self._job is not None:
            self._validate_for_job(instance, errors, key, value)
            return
        if (
            instance._state.adding
            and value
            and self._meta.model._default_manager.filter(**{key: value}).exists()
        ):
            errors.setdefault(key, []).append(
                _("%(value)s is already used outside your jurisdiction.") % {"value": value}
            )
        super().validate_instance(instance, errors, validate_unique)

    def import_scoped(self, dataset, *, user, dry_run: bool = False):
        """Import a whole file in one transaction: any bad row rolls all of it back."""
        self.user = user
        return self.import_data(
            dataset,
            dry_run=dry_run,
            use_transactions=True,
            rollback_on_validation_errors=True,
            collect_failed_rows=True,
            user=user,
        )

    # -- A large file as a background job ------------------------------------------------

    def import_job(self, dataset, *, user, progress, log_message: str | None = None) -> dict:
        """Import ``dataset`` for a background job; returns the counts of each outcome.

        First every row is checked without writing anything (progress is saved as it
        goes); a bad row raises ``JobError`` naming each bad row, and nothing changes.
        Then all rows are written in one transaction, in batches. With ``log_message``
        each created and changed object gets an entry in the admin's history, as the
        admin's own import makes.
        """
        self.user = user
        self._job = _JobState(progress)
        # Per resource, not per class: bulk writes and no diff are for jobs only.
        self._meta = copy.copy(self._meta)
        self._meta.use_bulk = True
        self._meta.batch_size = None
        self._meta.skip_diff = True
        self._meta.instance_loader_class = self._job_loader
        self.create_instances, self.update_instances = [], []

        progress(0, len(dataset), stage=jobs.STAGE_CHECKING)
        result = self.import_data_inner(
            dataset,
            dry_run=True,
            raise_errors=False,
            using_transactions=False,
            collect_failed_rows=False,
            user=user,
        )
        if result.has_errors() or result.has_validation_errors():
            raise jobs.JobError(describe_import_errors(result))
        created, updated = list(self.create_instances), list(self.update_instances)
        self.create_instances, self.update_instances = [], []
        counts = {
            "new": len(created),
            "update": len(updated),
            "skip": result.totals["skip"],
        }
        if not created and not updated:
            return counts

        progress(0, len(created) + len(updated), stage=jobs.STAGE_SAVING)
        try:
            with transaction.atomic(using=self.get_db_connection_name()):
                self._write_job_rows(created, updated, progress)
                if log_message and user is not None:
                    for instances, flag in ((created, ADDITION), (updated, CHANGE)):
                        for chunk in _chunks(instances, JOB_BATCH):
                            LogEntry.objects.log_actions(
                                user.pk, chunk, flag, change_message=log_message
                            )
        except IntegrityError as exc:
            # Someone saved a row with the same key between the check and the write.
            raise jobs.JobError(
                _(
                    "The data changed while the file was being checked, so nothing was "
                    "imported. Please import the file again."
                )
            ) from exc
        return counts

    def _job_loader(self, resource, dataset=None):
        self._job.loader = _ChunkedInstanceLoader(resource, dataset)
        return self._job.loader

    def _write_job_rows(self, created: list, updated: list, progress) -> None:
        model = self._meta.model
        done = 0
        if _bulk_writable(model):
            names = self._job_update_fields()
            for chunk in _chunks(created, JOB_BATCH):
                model._default_manager.bulk_create(chunk)
                done += len(chunk)
                progress(done)
            for chunk in _chunks(updated, JOB_BATCH):
                _bulk_update(model, chunk, names, using=self.get_db_connection_name())
                done += len(chunk)
                progress(done)
            _after_bulk(model)
            originals = self._job.originals
            _audit_bulk(
                [(None, instance) for instance in created]
                + [(originals.get(id(instance)), instance) for instance in updated],
                actor=self.user,
            )
            return
        # A model with its own save() or other signal receivers is saved row by row, so
        # that code runs for every row.
        with set_actor(self.user):
            for instance in created:
                instance.save(force_insert=True)
                done += 1
                progress(done)
            for instance in updated:
                instance.save()
                done += 1
                progress(done)

    def _job_update_fields(self) -> list[str]:
        ids = set(self.get_import_id_fields())
        return [
            field.attribute
            for name, field in self.fields.items()
            if field.attribute
            and not field.readonly
            and "__" not in field.attribute
            and name not in ids
            and field in self.get_import_fields()
        ]

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        if self._job is not None and not new:
            # The row as it was, for "unchanged" and for the audit trail's old values.
            self._job.originals[id(instance)] = copy.copy(instance)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if self._job is None:
            return super().skip_row(instance, original, row, import_validation_errors)
        if not self._meta.skip_unchanged or import_validation_errors or instance._state.adding:
            return False
        original = self._job.originals.get(id(instance))
        if original is not None and _values(original) == _values(instance):
            del self._job.originals[id(instance)]
            return True
        return False

    def after_import_row(self, row, row_result, **kwargs):
        super().after_import_row(row, row_result, **kwargs)
        if self._job is not None:
            self._job.progress(kwargs.get("row_number", 0))

    def _validate_for_job(self, instance, errors: dict, key, value) -> None:
        """The row checks of ``validate_instance`` without a query per row."""
        state = self._job
        if key and value not in (None, ""):
            first = state.seen.setdefault(value, self._current_row_number)
            if first != self._current_row_number:
                errors.setdefault(key, []).append(
                    _("%(value)s appears more than once in the file (first on row %(row)s).")
                    % {"value": value, "row": number_format(first, force_grouping=True)}
                )
            elif instance._state.adding and value in state.loader.taken:
                errors.setdefault(key, []).append(
                    _("%(value)s is already used outside your jurisdiction.") % {"value": value}
                )
        if self._meta.clean_model_instances:
            # Foreign keys a caching widget found exist: checking them again would be a
            # query per row. The import key's uniqueness was checked above, against the
            # rows loaded for the whole file.
            verified = {
                field.attribute
                for field in self.get_import_fields()
                if getattr(field.widget, "verifies_existence", False)
                and getattr(instance, f"{field.attribute}_id", None) is not None
            }
            try:
                instance.clean_fields(exclude=set(errors) | verified)
            except ValidationError as exc:
                errors = exc.update_error_dict(errors)
            try:
                instance.clean()
            except ValidationError as exc:
                errors = exc.update_error_dict(errors)
            imported = {field.attribute for field in self.get_import_fields()}
            not_checked = {f.name for f in instance._meta.fields if f.name not in imported}
            exclude = set(errors) | not_checked | ({key} if key else set())
            try:
                instance.validate_unique(exclude=exclude)
            except ValidationError as exc:
                errors = exc.update_error_dict(errors)
            try:
                instance.validate_constraints(exclude=set(errors))
            except ValidationError as exc:
                errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def before_import_row(self, row, **kwargs):
        self._current_row_number = kwargs.get("row_number")
        super().before_import_row(row, **kwargs)


class RegionResource(ScopedResource):
    code = fields.Field(attribute="code", column_name="code")
    name = fields.Field(attribute="name", column_name="name")
    level = fields.Field(attribute="level", column_name="level", readonly=True)

    class Meta:
        model = Region
        import_id_fields = ("code",)
        fields = ("code", "name", "level")
        clean_model_instances = True
        skip_unchanged = True

    def region_code_of(self, instance) -> str | None:
        return instance.code

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if not regions.CODE_RE.match(instance.code or ""):
            errors.setdefault("code", []).append(_("A division code has exactly 12 digits."))
            raise ValidationError(errors)
        super().validate_instance(instance, errors, validate_unique)
