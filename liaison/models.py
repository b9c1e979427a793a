import os
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

from liaison import regions
from liaison.storage import private_storage


class Region(models.Model):
    """An administrative division, keyed by its statistical division code."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        CITY = "city", _("City")
        COUNTY = "county", _("County")
        TOWNSHIP = "township", _("Township")
        VILLAGE = "village", _("Village or community")

    code = models.CharField(
        _("division code"),
        max_length=12,
        primary_key=True,
        validators=[RegexValidator(regions.CODE_RE, _("A division code has exactly 12 digits."))],
    )
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, editable=False)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        editable=False,
    )

    # Scoping reads a region's own code for Region objects.
    region_path = ""

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[0-9]{12}$"), name="region_code_12_digits"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # Level and parent follow from the code; they are never typed in.
        self.level = regions.level_of(self.code)
        self.parent_id = regions.parent_code_of(self.code)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if not regions.CODE_RE.match(self.code or ""):
            return  # the field validator reports it
        parent_code = regions.parent_code_of(self.code)
        if parent_code and not Region.objects.filter(code=parent_code).exists():
            raise ValidationError(
                {
                    "code": _("The parent region %(code)s does not exist yet.")
                    % {"code": parent_code}
                }
            )

    @property
    def prefix(self) -> str:
        return regions.prefix_of(self.code)


class User(AbstractUser):
    """An account. Constituents have none: they use tracking codes."""

    class Role(models.TextChoices):
        OFFICE = "office", _("Office staff")
        DEPARTMENT = "department", _("Department handler")
        DEPUTY = "deputy", _("Deputy")

    role = models.CharField(_("role"), max_length=12, choices=Role.choices, blank=True)
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text=_("Office staff see and change only this region and the regions below it."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="office") | models.Q(region__isnull=False),
                name="office_staff_have_region",
            ),
        ]

    def save(self, *args, **kwargs):
        # Office staff work in the admin; other roles have their own workspaces.
        if self.role == self.Role.OFFICE:
            self.is_staff = True
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if self.role == self.Role.OFFICE and not self.region_id:
            raise ValidationError({"region": _("Office staff must belong to a region.")})

    @property
    def region_prefix(self) -> str | None:
        """Significant digits of the user's region, without a query; None if unbound."""
        return regions.prefix_of(self.region_id) if self.region_id else None


class WorkdayOverride(models.Model):
    """A day whose working status the office sets by hand.

    The calendar package knows the State Council's holiday notices for the years it was
    released for; the notice for a new year comes out each autumn or winter. Until the
    package catches up, staff type the year's holidays and make-up working days (调休)
    here, and an entry here always wins over the package.
    """

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(
        _("working day"), help_text=_("Ticked for a make-up working day, empty for a holiday.")
    )
    note = models.CharField(_("note"), max_length=100, blank=True, help_text=_("e.g. 春节"))

    class Meta:
        verbose_name = _("working-day override")
        verbose_name_plural = _("working-day overrides")
        ordering = ["date"]

    def __str__(self) -> str:
        kind = _("working day") if self.is_workday else _("holiday")
        return f"{self.date:%Y-%m-%d} {kind}"


class OutboxMessage(models.Model):
    """A Celery task to run, written in the same transaction as the change that needs it.

    The relay publishes it to the broker after commit; if the broker is down or silent
    the row waits and a later relay (beat, every few seconds) publishes it. So nothing a
    constituent submits is lost or slowed by the broker.
    """

    task = models.CharField(_("task"), max_length=200)
    kwargs = models.JSONField(_("arguments"), default=dict)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    available_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            # The relay reads only unsent rows; a partial index keeps that cheap forever.
            models.Index(
                fields=["available_at", "id"],
                name="outbox_pending_idx",
                condition=models.Q(sent_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"


class Notification(models.Model):
    """A message to a person: in the in-app inbox, or by SMS or e-mail.

    ``dedupe_key`` makes a notification happen once, whatever the retries or overlapping
    sweeps: a reminder's key is (item, kind, due date), and the database refuses a second.
    """

    class Channel(models.TextChoices):
        INBOX = "inbox", _("In-app inbox")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    address = models.CharField(
        _("phone or e-mail"),
        max_length=254,
        blank=True,
        help_text=_("For people without an account."),
    )
    kind = models.CharField(_("kind"), max_length=40)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_inbox_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recipient__isnull=False) | ~models.Q(address=""),
                name="notification_has_recipient_or_address",
            ),
        ]

    def __str__(self) -> str:
        return self.subject


def job_file_path(job: "Job", filename: str) -> str:
    # A random folder per file, in the private storage (liaison/storage.py): no URL serves
    # them; only the job's download view hands them out, to the job's owner.
    stem, ext = os.path.splitext(os.path.basename(filename))
    try:
        name = get_valid_filename(f"{stem[:100]}{ext[:10]}")
    except SuspiciousFileOperation:
        name = "file"
    return f"jobs/{uuid.uuid4().hex}/{name}"


class Job(models.Model):
    """A long piece of work (an import, an export, a report) run by the worker.

    The job page polls ``done``/``total`` while it runs; a finished job holds its result
    file or the reason it failed, in the language of the person who started it.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=50)
    label = models.CharField(_("job"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.CASCADE,
        related_name="jobs",
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=10, default=settings.LANGUAGE_CODE)
    upload = models.FileField(
        _("uploaded file"),
        upload_to=job_file_path,
        storage=private_storage,
        max_length=255,
        blank=True,
    )
    result = models.FileField(
        _("result file"),
        upload_to=job_file_path,
        storage=private_storage,
        max_length=255,
        blank=True,
    )
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), null=True, blank=True)
    # What the job is doing now ("Checking rows", "Saving"): an English message id,
    # translated when shown.
    stage = models.CharField(_("stage"), max_length=100, blank=True)
    error = models.TextField(_("error"), blank=True)
    # What a finished job did, in a sentence ("20,000 new, 12 changed").
    summary = models.TextField(_("outcome"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="job_owner_idx"),
            models.Index(fields=["status", "created_at"], name="job_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "succeeded", "failed"]),
                name="job_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return reverse("admin:liaison_job_change", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def percent(self) -> int | None:
        """Progress in whole percent; None while the total is unknown."""
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.total:
            return None
        return min(100, self.done * 100 // self.total)

    @property
    def result_name(self) -> str:
        return os.path.basename(self.result.name) if self.result else ""
