"""Scheduled jobs (systemd timers or cron, deploy/) run on every app server's schedule, so two
copies of one job can start at once, or a slow run can still be going when the next starts.
`job_lock(name, ttl)` lets one of them run: the lock is a database row, shared by every host,
taken and checked under that row's lock, and released at the end; a holder that died keeps it
only until `ttl` has passed. `locked_command(ttl)` wraps a management command's `handle`.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import os
import socket
import uuid

from django.db import transaction
from django.utils import timezone

from .models import JobLock


@contextlib.contextmanager
def job_lock(name: str, ttl: datetime.timedelta):
    """Yield True if this process now holds the lock `name`, False if another holder does."""
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    now = timezone.now()
    with transaction.atomic():
        JobLock.objects.get_or_create(name=name)
        lock = JobLock.objects.select_for_update().get(name=name)
        if lock.holder and lock.expires_at and lock.expires_at > now:
            taken = False
        else:
            lock.holder, lock.acquired_at, lock.expires_at = holder, now, now + ttl
            lock.save(update_fields=["holder", "acquired_at", "expires_at"])
            taken = True
    try:
        yield taken
    finally:
        if taken:
            JobLock.objects.filter(name=name, holder=holder).update(holder="", expires_at=timezone.now())


def locked_command(ttl: datetime.timedelta):
    """Decorate a command's `handle`: run it only if no other copy is running (the job's name is
    the command's), else say so and exit 0 (the other copy does the work)."""

    def decorate(handle):
        @functools.wraps(handle)
        def wrapper(self, *args, **options):
            name = type(self).__module__.rpartition(".")[2]
            with job_lock(name, ttl) as taken:
                if not taken:
                    self.stdout.write(f"{name} is already running elsewhere; nothing done.")
                    return None
                return handle(self, *args, **options)

        return wrapper

    return decorate
