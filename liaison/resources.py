"""Excel import and export (django-import-export), scoped like everything else.

A row outside the importing user's jurisdiction is a row error; any row error rolls back
the whole file, so a file with one bad row changes nothing.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, resources

from liaison import regions, scoping
from liaison.models import Region


class ScopedResource(resources.ModelResource):
    """A resource that knows who imports, and refuses rows outside their region."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def before_import(self, dataset, **kwargs):
        self.user = kwargs.get("user", self.user)
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
