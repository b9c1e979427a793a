"""Background jobs in the admin: the job pages, and imports and exports that become jobs.

``ImportJobMixin`` and ``ExportJobMixin`` go on an import-export model admin: a file of
more than ``LIAISON_JOB_THRESHOLD`` rows, or an export of more rows than that, starts a
job instead of running in the request, and the person lands on the job's page. Smaller
ones keep the usual pages. The worker rebuilds what the request would have used — the
model admin, the resource, the changelist's filters and the user — so a job sees and
changes exactly what the request would have.

The job page (the Job admin's change page) shows a progress bar that ``jobs.js`` keeps
current by polling a small JSON view; without JavaScript the page refreshes itself. A
finished job offers its file through a download view that only its owner (or an
administrator) can reach; anyone else gets a 404.
"""

import datetime as dt
import io
import os
from urllib.parse import urlencode

from django.apps import apps
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.test.client import RequestFactory
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from import_export.formats.base_formats import XLSX

from liaison import jobs
from liaison.models import Job
from liaison.rules import is_office

# --- Imports and exports as jobs ------------------------------------------------------


def _threshold() -> int:
    return settings.LIAISON_JOB_THRESHOLD


def _format_index(formats, file_format) -> int:
    return next(i for i, f in enumerate(formats) if isinstance(file_format, f))


def count_upload_rows(upload, input_format) -> int | None:
    """How many data rows an uploaded file has, cheaply; None if it cannot be read.

    An Excel file says how big its sheet is in its first bytes, so the count costs
    nothing however long the file; other formats are parsed.
    """
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    try:
        if isinstance(input_format, XLSX):
            import openpyxl

            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheet = book.active
                if sheet.max_row is None:
                    sheet.reset_dimensions()
                    return max(sum(1 for _ in sheet.iter_rows(values_only=True)) - 1, 0)
                return max(sheet.max_row - 1, 0)
            finally:
                book.close()
        return len(input_format.create_dataset(data))
    except Exception:  # the request's own import reports what is wrong with the file
        return None


class ImportJobMixin:
    """Import a file above the threshold as a background job; guard the upload's size."""

    def get_import_form_class(self, request):
        form_class = super().get_import_form_class(request)
        limit = settings.LIAISON_IMPORT_MAX_BYTES

        class SizeLimitedImportForm(form_class):
            def clean_import_file(self):
                upload = self.cleaned_data["import_file"]
                if upload is not None and upload.size > limit:
                    raise ValidationError(
                        _(
                            "The file is too large (%(size)s). Files of at most %(limit)s "
                            "can be imported; split it into several files."
                        )
                        % {
                            "size": _megabytes(upload.size),
                            "limit": _megabytes(limit),
                        }
                    )
                return upload

        return SizeLimitedImportForm

    def import_action(self, request, **kwargs):
        if request.method == "POST" and self.has_import_permission(request):
            form = self.create_import_form(request)
            if form.is_valid():
                response = self._start_import_job(request, form)
                if response is not None:
                    return response
        return super().import_action(request, **kwargs)

    def _start_import_job(self, request, form):
        formats = self.get_import_formats()
        format_index = int(form.cleaned_data["format"])
        input_format = formats[format_index]()
        if not input_format.is_binary():
            input_format.encoding = self.from_encoding
        upload = form.cleaned_data["import_file"]
        rows = count_upload_rows(upload, input_format)
        if rows is None or rows <= _threshold():
            return None
        opts = self.model._meta
        job = jobs.start(
            "import",
            user=request.user,
            upload=upload,
            params={
                "app_label": opts.app_label,
                "model_name": opts.model_name,
                "resource": self.get_resource_index(form),
                "format": format_index,
                "file_name": os.path.basename(upload.name),
            },
            label=gettext("Import of %(model)s: %(file)s")
            % {"model": opts.verbose_name_plural, "file": os.path.basename(upload.name)},
        )
        self.message_user(
            request,
            ngettext(
                "The file has %(count)s row: it is imported in the background. Nothing "
                "changes unless every row is good.",
                "The file has %(count)s rows: they are imported in the background. Nothing "
                "changes unless every row is good.",
                rows,
            )
            % {"count": number_format(rows, force_grouping=True)},
            messages.INFO,
        )
        return HttpResponseRedirect(job.get_absolute_url())


class ExportJobMixin:
    """Export more rows than the threshold as a background job."""

    def get_export_data(self, file_format, request, queryset, **kwargs):
        # Small exports are written here and now, but Excel files by the same writer as
        # the jobs: text stays text, so "=…" typed by a constituent is never a formula.
        if not isinstance(file_format, XLSX):
            return super().get_export_data(file_format, request, queryset, **kwargs)
        if not self.has_export_permission(request):
            raise PermissionDenied
        data = self.get_data_for_export(request, queryset, force_native_type=True, **kwargs)
        return _write_xlsx(data.headers, data, _no_progress)

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        limit = _threshold()
        # A bounded count: the database stops counting at limit + 1.
        if queryset.order_by().values("pk")[: limit + 1].count() <= limit:
            return super()._do_file_export(file_format, request, queryset, export_form)
        opts = self.model._meta
        resource_class = self.choose_export_resource_class(export_form, request)
        params = {
            "app_label": opts.app_label,
            "model_name": opts.model_name,
            "query": [[key, value] for key, values in request.GET.lists() for value in values],
            "format": _format_index(self.get_export_formats(), file_format),
            "resource": list(self.get_export_resource_classes(request)).index(resource_class),
            "fields": self.get_export_resource_fields_from_form(export_form) or None,
        }
        items = export_form.cleaned_data.get("export_items") if export_form else None
        if items:
            params["pks"] = [str(pk) for pk in items]
        job = jobs.start(
            "export",
            user=request.user,
            params=params,
            label=gettext("Export of %(model)s") % {"model": opts.verbose_name_plural},
        )
        self.message_user(
            request,
            gettext(
                "More than %(count)s rows: the file is written in the background and "
                "offered for download here when it is ready."
            )
            % {"count": number_format(limit, force_grouping=True)},
            messages.INFO,
        )
        return HttpResponseRedirect(job.get_absolute_url())


def _no_progress(*args, **kwargs) -> None:
    return None


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _admin_request(job: Job):
    """The model admin of the job's model and a request like the one that started it:
    the same user, language and changelist query string."""
    params = job.params
    try:
        model = apps.get_model(params["app_label"], params["model_name"])
        model_admin = admin.site.get_model_admin(model)
    except (KeyError, LookupError, NotRegistered) as exc:
        raise jobs.JobError(gettext("This list can no longer be imported or exported.")) from exc
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    query = urlencode([(key, value) for key, value in params.get("query") or []])
    hosts = [h.lstrip(".") for h in settings.ALLOWED_HOSTS if h not in ("*", "")]
    request = RequestFactory().get(
        f"{url}?{query}" if query else url, HTTP_HOST=hosts[0] if hosts else "localhost"
    )
    request.user = job.created_by
    request.LANGUAGE_CODE = job.language
    user = job.created_by
    if not (user.is_active and user.is_staff):
        raise jobs.JobError(gettext("The account that started this job may no longer do it."))
    return model_admin, request


@jobs.register("import", label=_("Import"))
def run_import(job: Job, progress):
    """Check every row of the uploaded file, then import them all in one transaction."""
    model_admin, request = _admin_request(job)
    if not model_admin.has_import_permission(request):
        raise jobs.JobError(gettext("The account that started this job may no longer do it."))
    params = job.params
    input_format = model_admin.get_import_formats()[params["format"]]()
    if not input_format.is_binary():
        input_format.encoding = model_admin.from_encoding
    progress(0, None, stage=jobs.STAGE_READING)
    with job.upload.open("rb") as upload:
        data = upload.read()
    try:
        dataset = input_format.create_dataset(data)
    except Exception as exc:
        raise jobs.JobError(
            gettext(
                "The file could not be read as %(format)s. Check that you chose the "
                "format the file is in."
            )
            % {"format": type(input_format).__name__.upper()}
        ) from exc
    if not dataset or not len(dataset):
        raise jobs.JobError(gettext("The file has no rows to import."))
    resource_class = model_admin.get_import_resource_classes(request)[params.get("resource", 0)]
    resource = resource_class(**model_admin.get_import_resource_kwargs(request))
    log_message = (
        None
        if model_admin.get_skip_admin_log()
        else gettext("Imported from %(file)s by a background job.")
        % {"file": params.get("file_name", "")}
    )
    counts = resource.import_job(
        dataset, user=job.created_by, progress=progress, log_message=log_message
    )
    numbers = {**counts, "rows": len(dataset)}
    job.summary = gettext(
        "%(rows)s rows checked: %(new)s new, %(update)s changed, %(skip)s unchanged."
    ) % {key: number_format(value, force_grouping=True) for key, value in numbers.items()}
    return None


@jobs.register("export", label=_("Export"))
def run_export(job: Job, progress):
    """Write the changelist's rows (its filters, the user's scope) to a file."""
    model_admin, request = _admin_request(job)
    if not (
        model_admin.has_view_permission(request) and model_admin.has_export_permission(request)
    ):
        raise jobs.JobError(gettext("The account that started this job may no longer do it."))
    params = job.params
    file_format = model_admin.get_export_formats()[params["format"]]()
    queryset = model_admin.get_export_queryset(request)
    if params.get("pks"):
        queryset = queryset.filter(pk__in=params["pks"])
    resource_class = model_admin.get_export_resource_classes(request)[params.get("resource", 0)]
    resource = resource_class(**model_admin.get_export_resource_kwargs(request))
    fields = params.get("fields") or None
    content = write_export(resource, queryset, file_format, fields=fields, progress=progress)
    if not file_format.is_binary() and model_admin.to_encoding:
        content = content.encode(model_admin.to_encoding)
    elif isinstance(content, str):
        content = content.encode("utf-8")
    total = progress.total or 0
    job.summary = ngettext("%(count)s row exported.", "%(count)s rows exported.", total) % {
        "count": number_format(total, force_grouping=True)
    }
    return model_admin.get_export_filename(request, queryset, file_format), content


def write_export(resource, queryset, file_format, *, fields, progress):
    """The export file of ``queryset``, written a chunk of rows at a time with progress.

    Excel files are streamed row by row into a write-only workbook; other formats are
    collected into a table and converted at the end, as the admin's own export does.
    """
    resource.before_export(queryset)
    queryset = resource.filter_export(queryset)
    total = queryset.count()
    progress(0, total, stage=jobs.STAGE_WRITING)
    headers = resource.get_export_headers(selected_fields=fields)
    native = isinstance(file_format, XLSX)
    rows = (
        resource.export_resource(instance, selected_fields=fields, force_native_type=native)
        for instance in resource.iter_queryset(queryset)
    )
    if native:
        return _write_xlsx(headers, rows, progress)
    import tablib

    dataset = tablib.Dataset(headers=headers)
    for done, row in enumerate(rows, 1):
        dataset.append(row)
        progress(done)
    resource.after_export(queryset, dataset)
    return file_format.export_data(dataset)


def _write_xlsx(headers, rows, progress) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook(write_only=True)
    sheet = book.create_sheet()

    def cell(value):
        if isinstance(value, dt.datetime):
            # Excel has no time zones: the local time is what people read.
            value = timezone.localtime(value).replace(tzinfo=None) if value.tzinfo else value
        elif value is not None and not isinstance(value, int | float | dt.date | dt.time):
            value = ILLEGAL_CHARACTERS_RE.sub("", str(value))
        written = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            # Text is text: "=…" typed by a constituent must not become a formula.
            written.data_type = "s"
        return written

    sheet.append([cell(h) for h in headers])
    done = 0
    for done, row in enumerate(rows, 1):
        sheet.append([cell(value) for value in row])
        progress(done)
    progress(done)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- The job pages --------------------------------------------------------------------


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Everyone sees their own jobs; administrators see all. Jobs are made by the
    import and export pages and reports, never typed in."""

    list_display = [
        "label",
        "status",
        "progress_display",
        "created_at",
        "finished_at",
        "download",
    ]
    list_filter = ["status"]
    list_select_related = ["created_by"]
    search_fields = ["label"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    def get_list_display(self, request):
        display = super().get_list_display(request)
        return [*display, "created_by"] if request.user.is_superuser else display

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(created_by=request.user)

    def get_object(self, request, object_id, from_field=None):
        job = super().get_object(request, object_id, from_field)
        if job is None:
            raise Http404(_("No such job."))
        return job

    # Jobs are viewed, never added or edited by hand; old ones are deleted nightly.
    def has_module_permission(self, request):
        return is_office(request.user)

    def has_view_permission(self, request, obj=None):
        return is_office(request.user) and (
            obj is None or request.user.is_superuser or obj.created_by_id == request.user.pk
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("progress"))
    def progress_display(self, job: Job) -> str:
        if job.percent is None:
            return "—" if job.status == Job.Status.QUEUED else number_format(job.done)
        return f"{job.percent}%"

    @admin.display(description=_("file"))
    def download(self, job: Job) -> str:
        if job.status != Job.Status.SUCCEEDED or not job.result:
            return ""
        return format_html('<a href="{}">{}</a>', _download_url(job), job.result_name)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/progress/", wrap(self.progress_view), name="liaison_job_progress"
            ),
            path(
                "<int:object_id>/download/", wrap(self.download_view), name="liaison_job_download"
            ),
            path(
                "<int:object_id>/cancel/",
                wrap(require_POST(self.cancel_view)),
                name="liaison_job_cancel",
            ),
            *super().get_urls(),
        ]

    def _job(self, request, object_id) -> Job:
        job = self.get_object(request, unquote(str(object_id)))
        if not self.has_view_permission(request, job):
            raise Http404(_("No such job."))
        return job

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self._job(request, object_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": job.label,
            "job": job,
            "status": _status(job),
            "progress_url": reverse("admin:liaison_job_progress", args=[job.pk]),
            "download_url": _download_url(job) if job.result else "",
            "cancel_url": reverse("admin:liaison_job_cancel", args=[job.pk]),
            "error_lines": job.error.splitlines(),
            "has_view_permission": True,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/liaison/job_detail.html", context)

    def progress_view(self, request, object_id):
        job = self._job(request, object_id)
        response = JsonResponse(_status(job))
        response["Cache-Control"] = "no-store"
        return response

    def download_view(self, request, object_id):
        job = self._job(request, object_id)
        if job.status != Job.Status.SUCCEEDED or not job.result:
            raise Http404(_("This job has no file."))
        try:
            handle = job.result.open("rb")
        except FileNotFoundError as exc:
            raise Http404(_("This job has no file.")) from exc
        response = FileResponse(handle, as_attachment=True, filename=job.result_name)
        response["Cache-Control"] = "private, no-store"
        return response

    def cancel_view(self, request, object_id):
        job = self._job(request, object_id)
        if job.created_by_id != request.user.pk and not request.user.is_superuser:
            raise PermissionDenied
        if jobs.cancel(job):
            self.message_user(request, gettext("The job was cancelled."), messages.SUCCESS)
        else:
            self.message_user(
                request,
                gettext("The job has already started and cannot be cancelled."),
                messages.WARNING,
            )
        return HttpResponseRedirect(job.get_absolute_url())


def _download_url(job: Job) -> str:
    return reverse("admin:liaison_job_download", args=[job.pk])


def _status(job: Job) -> dict:
    """What the job page shows, for the page itself and for its polling script."""
    return {
        "status": job.status,
        "status_display": str(job.get_status_display()),
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "stage": gettext(job.stage) if job.stage else "",
        "finished": job.is_finished,
    }
