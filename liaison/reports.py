"""Monthly and annual reports of a region: a printable page, an Excel workbook and a PDF,
all three drawn from ``liaison.stats.figures`` through the same tables below, so they
show the same numbers as each other and as the admin dashboard.

A report whose period received more opinions than ``LIAISON_JOB_THRESHOLD`` is built
as a background job (kind "report") and downloaded from the job's page.
"""

import io
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liaison import jobs, stats
from liaison.models import Region

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- What a report shows: one list of figures and one set of tables for every format ----


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: int | float | None
    percent: bool = False

    @property
    def display(self) -> str:
        if self.value is None:
            return "—"
        return f"{self.value:.1f}%" if self.percent else str(self.value)

    @property
    def raw(self) -> str:
        """The value for a data attribute: digits, no grouping, empty for none."""
        return "" if self.value is None else str(self.value)


def headline(figures: stats.Figures) -> list[Figure]:
    """The headline figures, in the order the page, the workbook and the PDF list them."""
    o, d, s, p, b = (
        figures.opinions,
        figures.deputy_suggestions,
        figures.stations,
        figures.deputies,
        figures.ballots,
    )
    return [
        Figure("received", _("Opinions received"), o.received),
        Figure("merged", _("Merged into another item"), o.merged),
        Figure("promoted", _("Turned into deputy suggestions"), o.promoted),
        Figure("rejected", _("Not admissible"), o.rejected),
        Figure("to_handle", _("To handle"), o.to_handle),
        Figure("closed", _("Closed"), o.closed),
        Figure("open", _("Still open"), o.open),
        Figure("closed_rate", _("Closed rate"), o.closed_rate, percent=True),
        Figure("on_time", _("Closed on time"), o.on_time),
        Figure("on_time_rate", _("On-time closing rate"), o.on_time_rate, percent=True),
        Figure("rated", _("Rated by constituents"), o.rated),
        Figure("satisfied", _("Satisfied or basically satisfied"), o.satisfied),
        Figure("satisfaction_rate", _("Satisfaction rate"), o.satisfaction_rate, percent=True),
        Figure("overdue_now", _("Overdue now"), figures.overdue_now),
        Figure("ds_accepted", _("Deputy suggestions accepted"), d.accepted),
        Figure("ds_answered", _("Deputy suggestions answered"), d.answered),
        Figure("ds_answered_rate", _("Deputy suggestions answered (rate)"), d.answered_rate, True),
        Figure("receptions", _("Receptions at stations"), s.receptions),
        Figure("visitors", _("Visitors received"), s.visitors),
        Figure("stations_active", _("Active stations"), s.active),
        Figure("stations_idle", _("Stations without a reception"), s.idle),
        Figure("deputies_active", _("Deputies"), p.active),
        Figure("deputies_with_activity", _("Deputies with recorded activity"), p.with_activity),
        Figure("cycles", _("Ballot cycles"), len(b.cycles)),
        Figure("projects", _("Livelihood projects"), len(b.projects)),
        Figure("projects_completed", _("Projects completed"), b.completed),
        Figure("average_progress", _("Average project progress"), b.average_progress, True),
        Figure("overdue_milestones", _("Project milestones overdue"), b.overdue_milestones),
    ]


@dataclass(frozen=True)
class Cell:
    value: object
    percent: bool = False

    @property
    def display(self) -> str:
        if self.value is None:
            return "—"
        return f"{self.value:.1f}%" if self.percent else str(self.value)


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    # Leading text columns; the rest are numbers (right-aligned, summed nowhere).
    text_columns: int = 1


def _counts_headers(first: str, *, overdue: bool) -> list[str]:
    headers = [
        first,
        _("Received"),
        _("To handle"),
        _("Closed"),
        _("Closed rate"),
        _("Closed on time"),
        _("On-time closing rate"),
        _("Rated"),
        _("Satisfied or basically satisfied"),
        _("Satisfaction rate"),
    ]
    return [*headers, _("Overdue now")] if overdue else headers


def _counts_cells(row: stats.Row, *, overdue: bool) -> list[Cell]:
    c = row.counts
    cells = [
        Cell(row.label),
        Cell(c.received),
        Cell(c.to_handle),
        Cell(c.closed),
        Cell(c.closed_rate, True),
        Cell(c.on_time),
        Cell(c.on_time_rate, True),
        Cell(c.rated),
        Cell(c.satisfied),
        Cell(c.satisfaction_rate, True),
    ]
    return [*cells, Cell(row.overdue)] if overdue else cells


def tables(figures: stats.Figures) -> list[Table]:
    """The breakdowns, as the page, the workbook and the PDF show them."""
    b = figures.ballots
    return [
        Table(
            "months",
            _("Monthly trend"),
            _counts_headers(_("Month"), overdue=False),
            [_counts_cells(row, overdue=False) for row in figures.months],
        ),
        Table(
            "categories",
            _("By category"),
            _counts_headers(_("Category"), overdue=True),
            [_counts_cells(row, overdue=True) for row in figures.categories],
        ),
        Table(
            "regions",
            _("By region"),
            _counts_headers(_("Region"), overdue=True),
            [_counts_cells(row, overdue=True) for row in figures.child_regions],
        ),
        Table(
            "stations",
            _("Receptions per station"),
            [_("Code"), _("Station"), _("Region"), _("Receptions"), _("Visitors")],
            [
                [Cell(r.code), Cell(r.name), Cell(r.region), Cell(r.receptions), Cell(r.visitors)]
                for r in figures.stations.rows
            ],
            text_columns=3,
        ),
        Table(
            "deputies",
            _("Deputies' activity"),
            [
                _("Code"),
                _("Deputy"),
                _("Home region"),
                _("Receptions attended"),
                _("Opinions addressed to the deputy"),
                _("Deputy suggestions led"),
                _("Points"),
            ],
            [
                [
                    Cell(r.code),
                    Cell(r.name),
                    Cell(r.region),
                    Cell(r.receptions),
                    Cell(r.opinions),
                    Cell(r.suggestions),
                    Cell(r.points),
                ]
                for r in figures.deputies.rows
            ],
            text_columns=3,
        ),
        Table(
            "cycles",
            _("Ballot cycles"),
            [_("Ballot cycle"), _("Congress"), _("Phase")],
            [[Cell(c.title), Cell(c.congress), Cell(c.phase_label)] for c in b.cycles],
            text_columns=3,
        ),
        Table(
            "projects",
            _("Livelihood projects"),
            [
                _("Project"),
                _("Ballot cycle"),
                _("Status"),
                _("Project progress"),
                _("Budget (10,000 yuan)"),
                _("Spent (10,000 yuan)"),
                _("Milestones overdue"),
            ],
            [
                [
                    Cell(p.title),
                    Cell(p.cycle),
                    Cell(p.status_label),
                    Cell(p.progress, True),
                    Cell(p.budget),
                    Cell(p.spent),
                    Cell(p.overdue_milestones),
                ]
                for p in b.projects
            ],
            text_columns=3,
        ),
    ]


def title(figures: stats.Figures) -> str:
    if figures.period.is_month:
        return _("%(region)s: monthly report, %(period)s") % {
            "region": figures.region_name,
            "period": figures.period.label,
        }
    return _("%(region)s: annual report, %(period)s") % {
        "region": figures.region_name,
        "period": figures.period.label,
    }


def file_name(figures: stats.Figures, extension: str) -> str:
    code = figures.region.code if figures.region else "all"
    period = f"{figures.period.year}" + (
        f"-{figures.period.month:02d}" if figures.period.is_month else ""
    )
    return get_valid_filename(f"report-{code}-{period}.{extension}")


def notes(figures: stats.Figures) -> list[str]:
    """What a reader must know to read the figures right (printed under the title)."""
    return [
        _("Made on %(date)s.") % {"date": f"{figures.today:%Y-%m-%d}"},
        _(
            "Opinions are those received in the period, counted as they stand today. "
            "Closed: replied, answered on the spot or closed; merged, promoted and "
            "not-admissible items are outside the rates."
        ),
        _("Overdue now counts every open item of the region past its due date on %(date)s.")
        % {"date": f"{figures.today:%Y-%m-%d}"},
    ]


# --- Excel ---------------------------------------------------------------------------


def _write_row(sheet, row: int, values: list, *, percent=(), font=None) -> None:
    """Write ``values`` into row ``row`` (counted by the caller: asking the sheet for its
    last row walks every cell, which made big reports quadratic). Text is always stored
    as text, so a name typed as "=…" is never read as a formula by a spreadsheet."""
    for column, value in enumerate(values, 1):
        cell = sheet.cell(row=row, column=column, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        if column - 1 in percent:
            cell.number_format = "0.0%"
        if font is not None:
            cell.font = font


def report_xlsx(figures: stats.Figures) -> bytes:
    """The workbook: a sheet of headline figures, then a sheet per breakdown. Numbers are
    numbers (rates as percentages with one decimal, the value the page shows)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Figures")[:31]
    _write_row(sheet, 1, [title(figures)], font=Font(bold=True, size=14))
    row = 1
    for note in notes(figures):
        row += 1
        _write_row(sheet, row, [note])
    row += 2
    _write_row(sheet, row, [_("Figure"), _("Value")], font=bold)
    for figure in headline(figures):
        row += 1
        _append(sheet, row, [Cell(figure.label), Cell(figure.value, figure.percent)])
    sheet.column_dimensions["A"].width = 36
    sheet.column_dimensions["B"].width = 14
    for table in tables(figures):
        sheet = book.create_sheet(re.sub(r"[\\/?*\[\]:]", "-", table.title)[:31])
        _write_row(sheet, 1, list(table.headers), font=bold)
        for row, cells in enumerate(table.rows, 2):
            _append(sheet, row, cells)
        sheet.freeze_panes = "A2"
        for index in range(len(table.headers)):
            letter = get_column_letter(index + 1)
            sheet.column_dimensions[letter].width = 24 if index < table.text_columns else 14
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _append(sheet, row: int, cells: list[Cell]) -> None:
    _write_row(
        sheet,
        row,
        [
            "—" if cell.value is None else (cell.value / 100 if cell.percent else cell.value)
            for cell in cells
        ],
        percent={i for i, cell in enumerate(cells) if cell.percent and cell.value is not None},
    )


# --- PDF -----------------------------------------------------------------------------


def report_pdf(figures: stats.Figures) -> bytes:
    """The report as an A4 PDF, in Chinese with reportlab's built-in CID font (no font
    file to ship: PDF readers carry STSong)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
    from reportlab.platypus import Table as PdfTable

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    heading = ParagraphStyle("heading", fontName=font, fontSize=15, leading=20, spaceAfter=6)
    section = ParagraphStyle("section", fontName=font, fontSize=11, leading=15, spaceBefore=8)
    body = ParagraphStyle("body", fontName=font, fontSize=8, leading=11)
    cell_style = ParagraphStyle("cell", fontName=font, fontSize=7, leading=9)

    def grid(rows, widths=None):
        table = PdfTable(rows, colWidths=widths, repeatRows=1)
        table.setStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 7),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
        return table

    def text(value: str, style=cell_style) -> Paragraph:
        # Paragraphs read a little markup: names and notes are text, never markup.
        return Paragraph(escape(str(value)), style)

    story = [text(title(figures), heading)]
    story += [text(note, body) for note in notes(figures)]
    story.append(Spacer(1, 4 * mm))
    story.append(text(_("Figures"), section))
    story.append(
        grid(
            [[_("Figure"), _("Value")]]
            + [[text(figure.label), figure.display] for figure in headline(figures)],
            widths=[90 * mm, 30 * mm],
        )
    )
    for table in tables(figures):
        story.append(text(table.title, section))
        if not table.rows:
            story.append(Paragraph(_("None in this period."), body))
            continue
        rows = [[text(header) for header in table.headers]]
        for row in table.rows:
            rows.append(
                [
                    text(cell.display) if index < table.text_columns else cell.display
                    for index, cell in enumerate(row)
                ]
            )
        story.append(grid(rows))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=title(figures),
    )
    document.build(story)
    return buffer.getvalue()


# --- The report page ----------------------------------------------------------------


def job_threshold() -> int:
    return getattr(settings, "LIAISON_JOB_THRESHOLD", 5000)


class ReportForm(forms.Form):
    region = forms.CharField(label=gettext_lazy("Region"), required=False)
    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int)
    month = forms.TypedChoiceField(
        label=gettext_lazy("Month"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=gettext_lazy("Empty for the annual report."),
    )

    def __init__(self, *args, region_choices, **kwargs):
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        self.fields["region"].widget = forms.Select(choices=region_choices)
        self.fields["year"].choices = [(y, y) for y in range(this_year, this_year - 10, -1)]
        self.fields["month"].choices = [("", _("Whole year"))] + [(m, m) for m in range(1, 13)]


def report_view(request):
    """The report of a region and a month or year: the page, or ``format=xlsx|pdf``.

    Office staff read their region's subtree, superusers every region; a region outside
    the user's jurisdiction is a 404, as an unknown one is.
    """
    user = request.user
    if not stats.may_read(user):
        raise PermissionDenied
    try:
        selected = stats.region_for(user, request.GET.get("region"))
    except Region.DoesNotExist:
        raise Http404(_("No such region in your jurisdiction.")) from None
    today = timezone.localdate()
    form = ReportForm(
        request.GET if "year" in request.GET else None,
        initial={"region": selected.code if selected else "", "year": today.year},
        region_choices=stats.region_picker(user, selected),
    )
    context = {
        **admin.site.each_context(request),
        "title": _("Monthly and annual reports"),
        "form": form,
    }
    if form.is_bound and form.is_valid():
        period = stats.Period.of(form.cleaned_data["year"], form.cleaned_data["month"])
        output = request.GET.get("format", "")
        if (
            output == "xlsx"
            and stats.received_count(selected, period, limit=job_threshold()) > job_threshold()
        ):
            job = jobs.start(
                "report",
                user=user,
                params={
                    "region": selected.code if selected else "",
                    "year": period.year,
                    "month": period.month,
                },
                label=_("Report: %(region)s, %(period)s")
                % {
                    "region": selected.name if selected else _("All regions"),
                    "period": period.label,
                },
            )
            return redirect(job.get_absolute_url())
        figures = stats.figures(selected, period, today=today)
        if output == "xlsx":
            return _download(report_xlsx(figures), file_name(figures, "xlsx"), XLSX_TYPE)
        if output == "pdf":
            return _download(report_pdf(figures), file_name(figures, "pdf"), "application/pdf")
        query = {"region": selected.code if selected else "", "year": period.year}
        if period.month:
            query["month"] = period.month
        context.update(
            figures=figures,
            report_title=title(figures),
            notes=notes(figures),
            headline=headline(figures),
            tables=tables(figures),
            xlsx_query=urlencode({**query, "format": "xlsx"}),
            pdf_query=urlencode({**query, "format": "pdf"}),
            dashboard_url=reverse("admin:index")
            + "?"
            + urlencode({"region": query["region"], "period": str(period.year)}),
        )
    request.current_app = admin.site.name
    return TemplateResponse(request, "admin/liaison/report.html", context)


def _download(content: bytes, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- The background job ----------------------------------------------------------------


@jobs.register("report", label=gettext_lazy("Report (Excel)"))
def report_job(job, progress):
    """Build the workbook of a large region and period in the worker. The region is
    checked again against the jurisdiction of the person who started the job."""
    user = job.created_by
    params = job.params or {}
    if not stats.may_read(user):
        raise jobs.JobError(_("You may no longer read these figures."))
    try:
        region = stats.region_for(user, params.get("region") or "")
        period = stats.Period.of(int(params["year"]), params.get("month") or None)
    except (Region.DoesNotExist, KeyError, TypeError, ValueError):
        raise jobs.JobError(_("The report's region or period is not valid.")) from None
    progress(0, 2)
    figures = stats.figures(region, period)
    progress(1, 2)
    content = report_xlsx(figures)
    progress(2, 2)
    return file_name(figures, "xlsx"), content
