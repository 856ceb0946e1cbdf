"""Celery tasks: thin wrappers around the feedback services."""

from celery import shared_task
from django.conf import settings

from feedback import services
from feedback.bounded import import_run_bounded
from feedback.models import ImportRun


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def import_run_task(self, run_id: int) -> str | None:
    # Safe to receive twice: the service skips a finished run, and one a live worker holds is
    # tried again once that worker's lease may have run out (it may have died).
    try:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            services.import_run_execute(run_id)
        else:
            # In a child process, under its memory and time limits (whatever the pool).
            import_run_bounded(run_id)
    except services.RunBusy as busy:
        raise self.retry(countdown=settings.JOURNEYBOARD_IMPORT_LEASE_SECONDS) from busy
    return ImportRun.objects.filter(pk=run_id).values_list("state", flat=True).first()


@shared_task(acks_late=True)
def import_dry_run_task(run_id: int) -> dict | None:
    """A draft's dry run: its import, rolled back (idempotent: it writes only its outcome),
    under the limits of an import."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        services.import_dry_run_execute(run_id)
    else:
        import_run_bounded(run_id, dry_run=True)
    return ImportRun.objects.filter(pk=run_id).values_list("dry_run", flat=True).first()


@shared_task
def import_runs_resume() -> list[int]:
    """Queue again the runs whose worker died (their lease ran out)."""
    stalled = services.import_runs_stalled()
    for run_id in stalled:
        import_run_task.delay(run_id)
    return stalled


@shared_task
def sources_sync_due() -> list[int]:
    return [run.pk for run in services.sources_sync_due()]


@shared_task(acks_late=True)
def responses_sentiment_task(source_id: int) -> int:
    """Score new comments after an import (idempotent: only unscored comments are touched)."""
    return services.responses_sentiment_update(source_id=source_id)


@shared_task
def uploads_expire() -> int:
    """Delete survey files past their retention, and any no run names (hourly)."""
    return services.uploads_expire()
