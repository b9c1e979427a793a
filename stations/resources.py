from django.utils.translation import gettext as _
from import_export import fields

from liaison.models import Region
from liaison.resources import CachedForeignKeyWidget, ScopedResource
from stations.models import Deputy, Station


class RegionCodeWidget(CachedForeignKeyWidget):
    """A region given by its 12-digit code; an unknown code is a row error.

    Each distinct code is looked up once per file (a file names few regions).
    """

    def __init__(self):
        super().__init__(Region, "code")

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # a code typed into a number cell comes back as 4.30421e11
        value = str(value).strip() if value is not None else ""
        if not value:
            return None
        try:
            return super().clean(value, row, **kwargs)
        except Region.DoesNotExist:
            # A ValueError becomes an error on the row's field, with the row number.
            raise ValueError(_("Unknown region code %(code)s.") % {"code": value}) from None


class StationResource(ScopedResource):
    region = fields.Field(attribute="region", column_name="region", widget=RegionCodeWidget())

    class Meta:
        model = Station
        import_id_fields = ("code",)
        fields = (
            "code",
            "name",
            "tier",
            "kind",
            "region",
            "address",
            "latitude",
            "longitude",
            "opening_notes",
            *Station.SIX_HAVES,
            "is_active",
        )
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True


class DeputyResource(ScopedResource):
    region = fields.Field(attribute="region", column_name="region", widget=RegionCodeWidget())

    class Meta:
        model = Deputy
        import_id_fields = ("code",)
        fields = ("code", "name", "gender", "region", "occupation", "phone", "is_active")
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
