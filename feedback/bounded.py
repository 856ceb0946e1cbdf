"""An import run in a child process of the worker, stopped at its memory and time limits.

Celery's time limits need a pool that can interrupt a task (the solo pool that `make run` and
the tests use ignores them), and no pool bounds a task's memory while it runs. A child process
does both whatever the pool: it caps its own address space (``RLIMIT_AS``, so an allocation
past the limit raises ``MemoryError`` instead of swapping the machine), and the worker kills it
when its time is up. Either way the chunk in hand is rolled back (its transaction dies with it),
the run is closed as failed with the reason, and the worker goes on to the next task.

A draft's dry run is an import too (rolled back at its end): it runs the same way, under the
same limits, and a dry run stopped by them says so in its outcome.

    python -m feedback.bounded <run id> [--dry-run]     (started by ``import_run_bounded``)
"""

import contextlib
import ctypes
import os
import resource
import signal
import subprocess
import sys

from django.conf import settings

BUSY_EXIT = 75  # another worker holds the run's lease (EX_TEMPFAIL): try again later


def import_run_bounded(run_id: int, *, dry_run: bool = False) -> int:
    """Run ``import_run_execute(run_id)`` (or, ``dry_run``, ``import_dry_run_execute``) in a
    child under the limits; its exit status.

    Raises ``RunBusy`` when another worker holds the run."""
    from feedback import services

    stop = services.import_dry_run_stop if dry_run else services.import_run_stop
    limit = settings.JOURNEYBOARD_IMPORT_TIME_LIMIT_SECONDS
    # One connection is all the child needs (a pool's threads would count against its memory),
    # and few malloc arenas: each reserves 64 MB of address space.
    env = {**os.environ, "DATABASE_POOL": "false", "MALLOC_ARENA_MAX": "2"}
    command = [sys.executable, "-m", "feedback.bounded", str(run_id)]
    child = subprocess.Popen([*command, "--dry-run"] if dry_run else command, env=env)
    try:
        status = child.wait(timeout=limit or None)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        stop(
            run_id,
            reason=f"The import took longer than {limit:,} s (the limit for one import) and was "
            f"stopped{_kept(dry_run)}. Split the file, or ask an admin to raise "
            "JOURNEYBOARD_IMPORT_TIME_LIMIT_SECONDS.",
        )
        return -signal.SIGKILL
    except BaseException:
        child.kill()  # the worker itself is stopping: the run resumes elsewhere
        child.wait()
        raise
    if status == BUSY_EXIT:
        raise services.RunBusy(run_id)
    if status != 0:
        # Killed (the kernel's OOM killer) or crashed: the child could not say so itself.
        stop(run_id, reason=_died(status, dry_run))
    return status


def _kept(dry_run: bool) -> str:
    # A dry run commits nothing; a real import keeps the chunks it committed.
    return "" if dry_run else "; the rows it had committed stay"


def _died(status: int, dry_run: bool = False) -> str:
    how = f"signal {-status}" if status < 0 else f"status {status}"
    return (
        f"The import's process ended unexpectedly ({how}), most likely out of memory"
        f"{_kept(dry_run)}."
    )


def _over_memory(dry_run: bool = False) -> str:
    return (
        f"The import needed more than {settings.JOURNEYBOARD_IMPORT_MEMORY_MB:,} MB of memory "
        f"(the limit for one import) and was stopped{_kept(dry_run)}. Split the "
        "file, or ask an admin to raise JOURNEYBOARD_IMPORT_MEMORY_MB."
    )


def _die_with_parent() -> None:
    """A worker that is killed takes its import with it (the run then resumes elsewhere)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


def _memory_limit(megabytes: int) -> None:
    """Cap the address space at what the process uses now plus ``megabytes``."""
    if megabytes <= 0:
        return
    with open("/proc/self/statm") as statm:
        now = int(statm.read().split()[0]) * resource.getpagesize()
    cap = now + megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def main(run_id: int, dry_run: bool = False) -> int:
    import django

    _die_with_parent()
    django.setup()
    from django.db import connection

    from feedback import services

    # Everything an import loads (the database driver, openpyxl) is loaded before the limit is
    # set, so the limit is what the import's data may take.
    connection.ensure_connection()
    import openpyxl  # noqa: F401

    _memory_limit(settings.JOURNEYBOARD_IMPORT_MEMORY_MB)
    over_memory = False
    try:
        if dry_run:
            services.import_dry_run_execute(run_id)
        else:
            services.import_run_execute(run_id)
    except services.RunBusy:
        return BUSY_EXIT
    except MemoryError:
        over_memory = True
    if over_memory:
        # Out of the except clause, the error's traceback is gone and with it the import's
        # frames and rows: there is memory to close the run, on a fresh connection (the error
        # may have struck mid-statement).
        connection.close()
        stop = services.import_dry_run_stop if dry_run else services.import_run_stop
        stop(run_id, reason=_over_memory(dry_run))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.exit(main(int(sys.argv[1]), dry_run="--dry-run" in sys.argv[2:]))
