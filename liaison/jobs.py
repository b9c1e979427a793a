"""Background jobs: long imports, exports and reports run by the worker, with progress.

A kind of job is a function registered under a name::

    @jobs.register("report", label=_("Annual report"))
    def annual_report(job, progress):
        progress(0, total)
        ...
        return "report.xlsx", content      # or None; raise JobError(message) to fail

``start()`` records a queued job and sends the task through the outbox after commit;
the worker calls ``run()``, which claims the job, runs its function in the language of
the person who started it and stores the result file or the reason it failed.

Progress must be visible to the web process *while* the job runs, also when the job
does its work inside one transaction (an import that must change nothing unless every
row is good): writes made on that transaction's connection are invisible until it
commits. So ``progress()`` writes on the job's own connection while the job has no
transaction open, and, inside one, on a second connection of its own (PostgreSQL). On
SQLite (development) a second writer would wait for the very lock the job holds, so
there progress inside a transaction is not written: the page shows the stage the job
announced before it opened the transaction ("Saving") until it commits.

Kinds are registered when their module is imported: ``<app>/jobs.py`` of every
installed app (found like admin.py modules), ``liaison.reports`` and the admin's
import/export kinds in ``liaison.admin_jobs``. The worker imports them before it looks
a kind up, so every process knows every kind.
"""

import datetime as dt
import importlib
import importlib.util
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from django.core.files.base import ContentFile, File
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone, translation
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext, gettext_noop

from liaison.models import Job
from liaison.outbox import outbox_enqueue

logger = logging.getLogger(__name__)

TASK = "liaison.tasks.run_job"
# Modules with job kinds that are not called <app>.jobs.
EXTRA_MODULES = ("liaison.reports", "liaison.admin_jobs")
# At most about this many progress writes per stage of a job with a known total.
PROGRESS_STEPS = 100
# Without a total, a progress write every this many items.
PROGRESS_EVERY = 500

# Stages a runner may announce (English message ids, translated on the job page).
STAGE_READING = gettext_noop("Reading the file")
STAGE_CHECKING = gettext_noop("Checking rows")
STAGE_SAVING = gettext_noop("Saving")
STAGE_WRITING = gettext_noop("Writing the file")


class JobError(Exception):
    """A clean, expected failure: its (translated) message is what the user sees on the job."""


@dataclass(frozen=True)
class JobKind:
    kind: str
    label: str
    run: Callable


_kinds: dict[str, JobKind] = {}
_discovered = False


def register(kind: str, *, label):
    """Register fn(job, progress) as the runner of jobs of this kind.

    progress(done: int, total: int | None = None, *, stage=None) records progress
    (throttled writes). The function returns (file_name: str, content: bytes) to attach a
    download to the job, or None. Raise JobError(message) to fail cleanly; any other
    exception fails the job with a generic translated message (details go to the log,
    not to the user).
    """

    def decorator(fn):
        existing = _kinds.get(kind)
        if existing is not None and existing.run is not fn:
            raise ValueError(f"Job kind {kind!r} is registered twice.")
        _kinds[kind] = JobKind(kind=kind, label=label, run=fn)
        return fn

    return decorator


def autodiscover() -> None:
    """Import every module that registers job kinds (once per process)."""
    global _discovered
    if _discovered:
        return
    autodiscover_modules("jobs")
    for name in EXTRA_MODULES:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    _discovered = True


def get_kind(kind: str) -> JobKind | None:
    if kind not in _kinds:
        autodiscover()
    return _kinds.get(kind)


def start(kind: str, *, user, params: dict | None = None, upload=None, label=None) -> Job:
    """Create a Job row (status queued) for `user` and send the Celery task after commit.

    `upload` is an UploadedFile/File stored with the job (e.g. a file to import); `label`
    replaces the kind's label on this job (e.g. "Import of deputies: list.xlsx").
    Returns the job; job.get_absolute_url() is its admin page (progress, download, error).
    """
    spec = get_kind(kind)
    if spec is None:
        raise ValueError(f"Unknown job kind {kind!r}.")
    job = Job(
        kind=kind,
        label=str(label or spec.label)[:200],
        created_by=user,
        params=params or {},
        language=translation.get_language() or "zh-hans",
    )
    if upload is not None:
        # The file is written before the row, so the worker never sees a row without it.
        upload.seek(0)
        job.upload.save(os.path.basename(upload.name or "upload"), File(upload), save=False)
    with transaction.atomic():
        job.save()
        outbox_enqueue(task=TASK, kwargs={"job_id": job.pk})
    return job


def run(job_id: int) -> None:
    """Run one queued job to its end: the task's body (tests call it in-process).

    The job is claimed by moving it from queued to running in one UPDATE, so a message
    delivered twice (the outbox may publish twice) runs the job once; a job that is gone,
    running, finished or cancelled is left alone.
    """
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return
    job = Job.objects.select_related("created_by").get(pk=job_id)
    progress = Progress(job)
    with translation.override(job.language):
        try:
            spec = get_kind(job.kind)
            if spec is None:
                raise JobError(gettext("This kind of job is no longer available."))
            outcome = spec.run(job, progress)
        except JobError as exc:
            _finish(job, progress, error=str(exc))
        except Exception:
            logger.exception("job %s (%s) failed", job.pk, job.kind)
            _finish(
                job,
                progress,
                error=gettext(
                    "The job stopped because of an unexpected error. Nothing was changed; "
                    "please try again, or tell the administrator if it happens again."
                ),
            )
        else:
            try:
                _finish(job, progress, outcome=outcome)
            except Exception:  # the file could not be stored (a full disk)
                logger.exception("job %s (%s): storing the result failed", job.pk, job.kind)
                _finish(job, progress, error=gettext("The job's file could not be stored."))
        finally:
            progress.close()


def _finish(job: Job, progress: "Progress", *, outcome=None, error: str = "") -> None:
    values = {"finished_at": timezone.now(), "stage": "", "done": progress.done}
    if progress.total is not None:
        values["total"] = progress.total
    if error:
        values |= {"status": Job.Status.FAILED, "error": error}
    else:
        values |= {"status": Job.Status.SUCCEEDED, "summary": job.summary, "error": ""}
        if outcome is not None:
            name, content = outcome
            job.result.save(name, ContentFile(content), save=False)
            values["result"] = job.result.name
    # Only a job still running is finished: one the clean-up has meanwhile failed as
    # stuck keeps that verdict, and the file written for it is not kept.
    if not Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(**values):
        if job.result.name and values.get("result"):
            job.result.storage.delete(job.result.name)
        logger.warning("job %s finished after it was no longer running", job.pk)


def cancel(job: Job) -> bool:
    """Cancel a job that has not started yet; a running job cannot be stopped halfway."""
    cancelled = Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
        status=Job.Status.FAILED,
        error=gettext("Cancelled before it started."),
        finished_at=timezone.now(),
    )
    return bool(cancelled)


class Progress:
    """The ``progress(done, total=None, *, stage=None)`` callable given to a runner.

    Writes are throttled to about a hundred per stage; a new stage or total, and the last
    item, are always written.
    """

    def __init__(self, job: Job):
        self.job_id = job.pk
        self.done = job.done
        self.total = job.total
        self.stage = job.stage
        self._written = None
        # Transactions the caller already had open: only ones the runner opens itself
        # hide its writes from the web process (a test may run a job inside its own).
        self._depth = len(connection.atomic_blocks)
        self._aside = None

    def __call__(self, done: int, total: int | None = None, *, stage: str | None = None):
        forced = False
        if total is not None and total != self.total:
            self.total, forced = total, True
        if stage is not None and stage != self.stage:
            self.stage, forced = stage, True
        self.done = done
        step = max(self.total // PROGRESS_STEPS, 1) if self.total else PROGRESS_EVERY
        last = self._written
        if (
            forced
            or last is None
            or done < last
            or done - last >= step
            or (self.total is not None and done >= self.total)
        ):
            self._write()

    def _write(self) -> None:
        values = {"done": self.done, "total": self.total, "stage": self.stage}
        if len(connection.atomic_blocks) <= self._depth:
            Job.objects.filter(pk=self.job_id).update(**values)
        elif connection.vendor == "postgresql":
            self._write_aside(values)
        else:
            return  # SQLite: see the module's docstring
        self._written = self.done

    def _write_aside(self, values: dict) -> None:
        if self._aside is None:
            self._aside = connections.create_connection(DEFAULT_DB_ALIAS)
        table = connection.ops.quote_name(Job._meta.db_table)
        with self._aside.cursor() as cursor:
            # SKIP LOCKED: if the job's row is locked (by a transaction around the runner
            # that wrote it), skip this write rather than wait for ourselves.
            cursor.execute(
                f"UPDATE {table} SET done = %s, total = %s, stage = %s "  # noqa: S608
                f"WHERE id = (SELECT id FROM {table} WHERE id = %s FOR UPDATE SKIP LOCKED)",
                [values["done"], values["total"], values["stage"], self.job_id],
            )

    def close(self) -> None:
        if self._aside is not None:
            self._aside.close()
            self._aside = None


def clean_up(*, retention_days: int, stale_hours: int) -> tuple[int, int]:
    """Delete finished jobs (and their files) older than the retention period, and fail
    jobs stuck queued or running for hours (their worker died). Returns both counts."""
    now = timezone.now()
    since = now - dt.timedelta(hours=stale_hours)
    stale = Job.objects.filter(
        # A queued job by when it was queued, a running one by when it started: a job
        # that waited long in the queue is not cut off as soon as it begins.
        models.Q(status=Job.Status.QUEUED, created_at__lt=since)
        | models.Q(status=Job.Status.RUNNING, started_at__lt=since)
    ).update(
        status=Job.Status.FAILED,
        finished_at=now,
        error=gettext("The job was interrupted. Nothing was changed; please start it again."),
    )
    # Counted from when a job ended, so one just failed as stuck is still there to read.
    old = Job.objects.filter(finished_at__lt=now - dt.timedelta(days=retention_days))
    deleted = 0
    for job in old.iterator():
        job.delete()  # the files go with it (see delete_files_with_job)
        deleted += 1
    return deleted, stale


@receiver(post_delete, sender=Job)
def delete_files_with_job(sender, instance: Job, **kwargs) -> None:
    """However a job goes (the clean-up, an administrator, its account deleted), its
    files go too, once the deletion is committed."""
    transaction.on_commit(lambda: delete_files(instance))


def delete_files(job: Job) -> None:
    for field in (job.upload, job.result):
        if field:
            storage, name = field.storage, field.name
            storage.delete(name)
            folder = os.path.dirname(name)
            # The random folder the file had to itself.
            try:
                if folder.startswith("jobs/") and not storage.listdir(folder)[1]:
                    os.rmdir(storage.path(folder))
            except (NotImplementedError, OSError):
                pass
