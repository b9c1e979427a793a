"""Writes for implementation tracking (年初问计划、年中问进度、年底问效果): progress
reports, milestones, photos, the supervising deputies' inspections, and the daily
reminder for overdue milestones.

Who may do what:

- progress reports and milestones: the office whose region holds the project's
  congress (``may_track``), or an administrator — they carry the government's figures;
- photos and inspections: those, and the deputies of the project's supervising group,
  its leader included (``may_inspect``) — they go and look.

Every write needs the cycle to be implementing: before, there is no project; after
the satisfaction vote is published, the record is closed.

Progress only goes up. A report may lower the progress or the money spent (works
redone after an inspection, a figure corrected) only with a note of at least
``DROP_NOTE_MIN`` characters saying why, which the public page shows with the report.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from liaison.images import image_clean
from liaison.models import Notification, User
from liaison.notifications import notification_create, office_users_for
from liaison.scoping import in_scope
from liaison.text import has_markup
from stations.models import Deputy, DeputyGroup
from votes.models import (
    BallotCycle,
    Candidate,
    Inspection,
    Milestone,
    Phase,
    ProgressReport,
    Project,
    ProjectPhoto,
)
from votes.models.cycles import TEXT_MAX

__all__ = [
    "inspection_submit",
    "may_inspect",
    "may_track",
    "milestone_update",
    "milestones_remind",
    "photo_add",
    "progress_report_add",
]

# The shortest note that may explain a fall in progress or spending: a reason, not "改".
DROP_NOTE_MIN = 10
# Project photos share the evidence limit unless the settings say otherwise.
DEFAULT_PHOTO_MAX_BYTES = 5 * 1024 * 1024
CAPTION_MAX = 100
# DecimalField(max_digits=12, decimal_places=2), in 10,000 yuan.
SPENT_MAX = Decimal("9999999999.99")
STAGE_KINDS = (Inspection.Kind.PLAN, Inspection.Kind.MID_YEAR, Inspection.Kind.YEAR_END)


# --- Who may ---------------------------------------------------------------------------


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def _cycle(project: Project) -> BallotCycle:
    """The project's cycle and congress, loaded once (selectors load them with the
    project; a bare project costs one query)."""
    loaded = (
        Project.candidate.is_cached(project)
        and Candidate.cycle.is_cached(project.candidate)
        and BallotCycle.congress.is_cached(project.candidate.cycle)
    )
    if not loaded:
        project.candidate = Candidate.objects.select_related("cycle__congress").get(
            pk=project.candidate_id
        )
    return project.candidate.cycle


def _region_code(project: Project) -> str | None:
    return _cycle(project).congress.region_id


def may_track(user, project: Project) -> bool:
    """The office whose region holds the project's congress, or an administrator."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    return user.role == User.Role.OFFICE and in_scope(user, _region_code(project))


def _in_group(deputy: Deputy, group_id: int) -> bool:
    return (
        DeputyGroup.objects.filter(pk=group_id)
        .filter(Q(leader=deputy) | Q(members=deputy))
        .exists()
    )


def may_inspect(user, project: Project) -> bool:
    """A deputy of the project's supervising group (member or leader), the office whose
    region holds the project's congress, or an administrator."""
    if not _active(user):
        return False
    if user.is_superuser or user.role == User.Role.OFFICE:
        return may_track(user, project)
    if user.role != User.Role.DEPUTY or not project.supervising_group_id:
        return False
    deputy = getattr(user, "deputy", None)
    return bool(deputy and deputy.is_active and _in_group(deputy, project.supervising_group_id))


def inspectors_of(project: Project):
    """The deputies who may take part in the project's inspections: its supervising
    group's members and leader (those ``inspection_submit`` accepts), by name; none
    before the office names a group."""
    group_id = project.supervising_group_id
    if group_id is None:
        return Deputy.objects.none()
    return (
        Deputy.objects.filter(Q(groups=group_id) | Q(led_groups=group_id))
        .distinct()
        .order_by("name", "code")
    )


def _require_tracker(user, project: Project) -> None:
    if not may_track(user, project):
        raise PermissionDenied(
            _("Only the congress office of this project's region may record its progress.")
        )


def _require_implementing(project: Project) -> None:
    cycle = _cycle(project)
    if cycle.phase != Phase.IMPLEMENTING:
        raise ValidationError(
            _(
                "The cycle of this project is at “%(phase)s”: tracking is open only while "
                "it is being implemented."
            )
            % {"phase": cycle.get_phase_display()}
        )


# --- Cleaning what people type ---------------------------------------------------------


def _percent(value, field: str) -> int:
    error = ValidationError({field: _("Enter a whole number from 0 to 100.")})
    if isinstance(value, bool) or value is None:
        raise error
    if not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            raise error from None
    if not 0 <= value <= 100:
        raise error
    return value


def _amount(value, field: str) -> Decimal:
    error = ValidationError(
        {field: _("Enter an amount in 10,000 yuan, zero or more, with at most two decimals.")}
    )
    if isinstance(value, bool) or value is None:
        raise error
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise error from None
    if not amount.is_finite() or amount < 0 or amount > SPENT_MAX:
        raise error
    if amount != amount.quantize(Decimal("0.01")):
        raise error
    return amount.quantize(Decimal("0.01"))


def _text(value, field: str, *, max_length: int, required: bool) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError({field: _("This field cannot be empty.")})
    if len(text) > max_length:
        raise ValidationError(
            {field: _("Keep it to %(max)s characters at most.") % {"max": max_length}}
        )
    if has_markup(text):
        # Shown on the public progress page: plain text only, as for opinions.
        raise ValidationError({field: _("Please write plain text without HTML tags.")})
    return text


def _past_date(value, field: str, *, earliest: dt.date | None = None) -> dt.date:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    elif isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, dt.date):
        raise ValidationError({field: _("Enter a valid date.")})
    if value > timezone.localdate():
        raise ValidationError({field: _("The date cannot be in the future.")})
    if earliest and value < earliest:
        raise ValidationError(
            {field: _("The date cannot be before %(date)s.") % {"date": f"{earliest:%Y-%m-%d}"}}
        )
    return value


def _earliest(project: Project) -> dt.date:
    # A cycle's vote is held at the session early in its year or late the year before.
    return dt.date(_cycle(project).year - 1, 1, 1)


def _locked(project: Project) -> Project:
    return (
        Project.objects.select_for_update(of=("self",))
        .select_related("candidate__cycle__congress")
        .get(pk=project.pk)
    )


def _link(name: str, *args) -> str:
    # The admin and the pages are registered by their own modules; a reminder without
    # a link is better than no reminder.
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# --- Progress --------------------------------------------------------------------------


def progress_report_add(
    *,
    project: Project,
    reported_on: dt.date,
    progress: int,
    spent: Decimal,
    note: str,
    by,
) -> ProgressReport:
    """Record the project's progress and spending to date; the project follows it.

    The first progress above 0 starts the project (planned → under way); 100% completes
    it on the report's date; a later report below 100% (explained) reopens it.
    """
    _require_tracker(by, project)
    progress = _percent(progress, "progress")
    spent = _amount(spent, "spent")
    note = _text(note, "note", max_length=TEXT_MAX, required=True)
    reported_on = _past_date(reported_on, "reported_on", earliest=_earliest(project))
    with transaction.atomic():
        # Two clerks reporting at once would both compare with the same last report,
        # and the project would keep whichever figures were saved last.
        project = _locked(project)
        _require_implementing(project)
        last = project.reports.order_by("-reported_on", "-id").first()
        if last and reported_on < last.reported_on:
            raise ValidationError(
                {
                    "reported_on": _(
                        "The last report is dated %(date)s; enter reports in date order."
                    )
                    % {"date": f"{last.reported_on:%Y-%m-%d}"}
                }
            )
        previous_progress = last.progress if last else project.progress
        previous_spent = last.spent if last else project.spent
        falls = progress < previous_progress or spent < previous_spent
        if falls and len(note) < DROP_NOTE_MIN:
            raise ValidationError(
                {
                    "note": _(
                        "The last report gave %(progress)s%% and %(spent)s (10,000 yuan); "
                        "to report less, explain why in the note (at least %(min)s "
                        "characters)."
                    )
                    % {"progress": previous_progress, "spent": previous_spent, "min": DROP_NOTE_MIN}
                }
            )
        report = ProgressReport.objects.create(
            project=project,
            reported_on=reported_on,
            progress=progress,
            spent=spent,
            note=note,
            created_by=by,
        )
        _follow_report(project, report)
    return report


def _follow_report(project: Project, report: ProgressReport) -> None:
    S = Project.Status
    project.progress = report.progress
    project.spent = report.spent
    if report.progress == 100:
        if project.status != S.COMPLETED:
            project.status = S.COMPLETED
            project.completed_on = report.reported_on
    elif project.status == S.COMPLETED:
        project.status = S.UNDERWAY
        project.completed_on = None
    elif project.status == S.PLANNED and report.progress > 0:
        project.status = S.UNDERWAY
    if report.progress > 0 and project.started_on is None:
        project.started_on = report.reported_on
    project.save(
        update_fields=["progress", "spent", "status", "started_on", "completed_on", "updated_at"]
    )


def milestone_update(
    *, milestone: Milestone, progress: int, completed_on: dt.date | None = None, by
) -> Milestone:
    """Set a milestone's progress; at 100% it is completed (today unless a date is
    given), below 100% it is open again."""
    progress = _percent(progress, "progress")
    if completed_on is not None:
        completed_on = _past_date(completed_on, "completed_on")
        if progress < 100:
            raise ValidationError(
                {
                    "completed_on": _(
                        "Only a milestone at full progress can have a completion date; "
                        "clear the date."
                    )
                }
            )
    with transaction.atomic():
        # Read-check-write of one row: a second clerk's update waits for the first.
        milestone = (
            Milestone.objects.select_for_update(of=("self",))
            .select_related("project__candidate__cycle__congress")
            .get(pk=milestone.pk)
        )
        _require_tracker(by, milestone.project)
        _require_implementing(milestone.project)
        milestone.progress = progress
        if progress == 100:
            milestone.completed_on = completed_on or milestone.completed_on or timezone.localdate()
        else:
            milestone.completed_on = None
        milestone.save(update_fields=["progress", "completed_on"])
    return milestone


def photo_add(
    *, project: Project, image, caption: str = "", taken_on: dt.date | None = None, by
) -> ProjectPhoto:
    """Add a photo of the works: checked, turned upright and stripped of its EXIF
    (a phone's GPS position) by liaison.images before it is stored."""
    if not may_inspect(by, project):
        raise PermissionDenied(
            _("Only the office or the supervising deputies may add photos of this project.")
        )
    _require_implementing(project)
    caption = _text(caption, "caption", max_length=CAPTION_MAX, required=False)
    if taken_on is not None:
        taken_on = _past_date(taken_on, "taken_on", earliest=_earliest(project))
    if not image:
        raise ValidationError({"image": _("Choose a photo to upload.")})
    limit = getattr(settings, "LIAISON_EVIDENCE_MAX_BYTES", DEFAULT_PHOTO_MAX_BYTES)
    try:
        cleaned = image_clean(image, max_bytes=limit, stem="project")
    except ValidationError as exc:
        raise ValidationError({"image": exc.messages}) from None
    photo = ProjectPhoto(project=project, caption=caption, taken_on=taken_on, uploaded_by=by)
    photo.image.save(cleaned.name, cleaned, save=False)
    try:
        photo.save()
    except Exception:
        photo.image.delete(save=False)  # no row, no file
        raise
    return photo


# --- Inspections -----------------------------------------------------------------------


def inspection_submit(
    *,
    project: Project,
    kind: str,
    inspected_on: dt.date,
    finding: str,
    report: str,
    deputies,
    by,
) -> Inspection:
    """Record an inspection by the supervising deputies (代表视察): one report each for
    the plan, mid-year and year end, spot checks as many as needed. Serious problems
    go straight to the office's inbox."""
    if not may_inspect(by, project):
        raise PermissionDenied(
            _(
                "Only the supervising deputies of this project or its office may report "
                "an inspection."
            )
        )
    _require_implementing(project)
    if kind not in Inspection.Kind.values:
        raise ValidationError({"kind": _("Choose the kind of inspection.")})
    if finding not in Inspection.Finding.values:
        raise ValidationError({"finding": _("Choose what the inspection found.")})
    report = _text(report, "report", max_length=TEXT_MAX, required=True)
    inspected_on = _past_date(inspected_on, "inspected_on", earliest=_earliest(project))
    deputies = list(deputies or [])
    if not deputies:
        raise ValidationError({"deputies": _("Name the deputies who took part.")})
    if not project.supervising_group_id:
        raise ValidationError(
            _("This project has no supervising deputy group yet: the office names one first.")
        )
    group = DeputyGroup.objects.get(pk=project.supervising_group_id)
    allowed = set(group.members.values_list("pk", flat=True)) | {group.leader_id}
    strangers = [deputy.name for deputy in deputies if deputy.pk not in allowed]
    if strangers:
        raise ValidationError(
            {
                "deputies": _("Not in the supervising group “%(group)s”: %(names)s.")
                % {"group": group.name, "names": "、".join(strangers)}
            }
        )
    with transaction.atomic():
        try:
            # The partial UNIQUE (project, kind) decides, whatever the concurrency.
            with transaction.atomic():
                inspection = Inspection.objects.create(
                    project=project,
                    kind=kind,
                    inspected_on=inspected_on,
                    finding=finding,
                    report=report,
                    submitted_by=by,
                )
        except IntegrityError:
            if kind not in STAGE_KINDS:
                raise
            message = _(
                "The “%(kind)s” report of this project has been submitted already; "
                "report a further visit as a spot check."
            ) % {"kind": Inspection.Kind(kind).label}
            raise ValidationError(
                {"kind": ValidationError(message, code="duplicate_stage")}
            ) from None
        inspection.deputies.set(deputies)
        if finding == Inspection.Finding.SERIOUS:
            _tell_office_of_serious(project, inspection)
    return inspection


def _tell_office_of_serious(project: Project, inspection: Inspection) -> None:
    region = _region_code(project) or ""
    title = project.candidate.title
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Serious problems found at the inspection of “%(title)s”") % {"title": title}
        body = _("%(kind)s, %(date)s: %(report)s") % {
            "kind": inspection.get_kind_display(),
            "date": f"{inspection.inspected_on:%Y-%m-%d}",
            "report": inspection.report[:500],
        }
        for user in office_users_for(region):
            notification_create(
                channel=Notification.Channel.INBOX,
                kind="project_inspection_serious",
                subject=subject,
                body=body,
                recipient=user,
                link=_link("admin:votes_project_change", project.pk),
                dedupe_key=f"inspection:{inspection.pk}:serious:u{user.pk}",
            )


# --- Reminders -------------------------------------------------------------------------


def milestones_remind(*, today: dt.date | None = None) -> int:
    """Remind the office, and the supervising group's leader, of every open milestone
    past its due date in a cycle being implemented.

    Once per (milestone, due date, person), however often it runs: a milestone moved to
    a later date is chased again when that date passes. A fixed number of queries (the
    milestones, one per congress region for its office, the keys already used) plus
    the inserts. Returns how many notifications were created.
    """
    today = today or timezone.localdate()
    overdue = (
        Milestone.objects.filter(
            completed_on__isnull=True,
            due_date__lt=today,
            project__candidate__cycle__phase=Phase.IMPLEMENTING,
        )
        .select_related(
            "project__candidate__cycle__congress", "project__supervising_group__leader__user"
        )
        .order_by("due_date", "pk")
    )
    offices: dict[str | None, list[User]] = {}
    wanted: list[tuple[str, User, Milestone]] = []
    for milestone in overdue:
        region = milestone.project.candidate.cycle.congress.region_id
        if region not in offices:
            offices[region] = office_users_for(region) if region else []
        recipients = list(offices[region])
        group = milestone.project.supervising_group
        leader = group.leader if group else None
        leader_user = leader.user if leader and leader.is_active else None
        if (
            leader_user
            and leader_user.is_active
            and leader_user.pk not in {user.pk for user in recipients}
        ):
            recipients.append(leader_user)
        for user in recipients:
            key = f"milestone:{milestone.pk}:due:{milestone.due_date:%Y%m%d}:u{user.pk}"
            wanted.append((key, user, milestone))
    if not wanted:
        return 0
    # Skip what earlier runs sent in one query, instead of one failed insert each day
    # for every milestone still overdue; the unique key still settles overlapping runs.
    done = set(
        Notification.objects.filter(dedupe_key__in=[key for key, _u, _m in wanted]).values_list(
            "dedupe_key", flat=True
        )
    )
    created = 0
    with translation.override(settings.LANGUAGE_CODE):
        for key, user, milestone in wanted:
            if key in done:
                continue
            project = milestone.project
            is_office = user.role == User.Role.OFFICE
            notification = notification_create(
                channel=Notification.Channel.INBOX,
                kind="milestone_overdue",
                subject=_("Milestone overdue: %(project)s · %(milestone)s")
                % {"project": project.candidate.title, "milestone": milestone.title},
                body=_(
                    "“%(milestone)s” of “%(project)s” was due on %(date)s and stands at "
                    "%(progress)s%%. Ask the responsible department (%(unit)s) for the "
                    "reason and the new date."
                )
                % {
                    "milestone": milestone.title,
                    "project": project.candidate.title,
                    "date": f"{milestone.due_date:%Y-%m-%d}",
                    "progress": milestone.progress,
                    "unit": project.candidate.responsible_unit,
                },
                recipient=user,
                link=(
                    _link("admin:votes_project_change", project.pk)
                    if is_office
                    else _link("votes:project", project.pk)  # the public progress page
                ),
                dedupe_key=key,
            )
            created += notification is not None
    return created
