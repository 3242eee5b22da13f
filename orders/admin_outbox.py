"""The outbox page (Admin › Outbox): what the site owes people by email and what its background
jobs did. Platform administrators see everything, with the task backend's failed and waiting jobs;
coordinators see the messages about the producer groups of their area. A failed message or job can
be retried from here (audited). It lives in the orders app because scoping a message to an area
needs the producer groups (producers.selectors); the outbox itself is marketplace.outbox."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_tasks.backends.database.models import DBTaskResult

from marketplace import access, audit, outbox
from marketplace.models import OutboxMessage
from producers.selectors import groups_visible_to

JOB_STATES = ("FAILED", "READY", "RUNNING")


def can_see_outbox(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active) and (
        user.is_superuser or access.is_coordinator(user)
    )


def messages_visible_to(user):
    if not can_see_outbox(user):
        return OutboxMessage.objects.none()
    if user.is_superuser:
        return OutboxMessage.objects.all()
    return OutboxMessage.objects.filter(group_id__in=groups_visible_to(user).values("pk"))


def outbox_index(request):
    if not can_see_outbox(request.user):
        raise PermissionDenied
    visible = messages_visible_to(request.user)
    status = request.GET.get("status", "")
    listed = visible.filter(status=status) if status in OutboxMessage.Status.values else visible
    counts = dict(visible.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    page = Paginator(listed.order_by("-created_at", "-pk"), 50).get_page(request.GET.get("page"))
    jobs = []
    if request.user.is_superuser:
        jobs = list(DBTaskResult.objects.filter(status__in=JOB_STATES).order_by("-enqueued_at")[:50])
    context = {
        "page": page,
        "status": status,
        "statuses": [(value, label, counts.get(value, 0)) for value, label in OutboxMessage.Status.choices],
        "jobs": jobs,
        "show_jobs": request.user.is_superuser,
    }
    return TemplateResponse(request, "orders/admin/outbox.html", context)


@require_POST
def outbox_retry(request, pk):
    if not can_see_outbox(request.user):
        raise PermissionDenied
    message = get_object_or_404(messages_visible_to(request.user), pk=pk)
    if outbox.retry(message):
        audit.record("outbox.retried", message, details={"kind": message.kind, "attempts": message.attempts})
        messages.success(request, _("The message to %(to)s is queued again.") % {"to": message.to})
    else:
        messages.error(request, _("Only a failed message can be retried."))
    return redirect("orders_admin:outbox")


@require_POST
def job_retry(request, pk):
    """Enqueue a failed background job again with the same arguments (administrators only)."""
    if not request.user.is_superuser:
        raise PermissionDenied
    job = get_object_or_404(DBTaskResult.objects.filter(status="FAILED"), pk=pk)
    task = import_string(job.task_path)
    args_kwargs = job.args_kwargs or {}
    task.enqueue(*args_kwargs.get("args", []), **args_kwargs.get("kwargs", {}))
    audit.record("job.retried", object_type="task", object_id=str(job.pk), details={"task": job.task_path})
    messages.success(request, _("The job is queued again."))
    return redirect("orders_admin:outbox")
