"""Celery tasks: thin wrappers around the feedback services."""

from celery import shared_task

from feedback import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def import_run_task(run_id: int) -> str | None:
    # Safe to receive twice: the service skips a finished run, and one a live worker holds.
    run = services.import_run_execute(run_id)
    return run.state if run else None
