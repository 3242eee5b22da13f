"""The work lists behind the admin home's to-do panel (income.todo): one page per kind of waiting
row, phone-first (cards), each row with the button that does the next step.

Access: group staff see the lists of the groups they work for (`?group=` narrows to one of them);
a coordinator sees "contributions missing" for the groups they watch. Anyone else gets a 404. The
payout list names households: personal data, so viewing it is audited.
"""

from __future__ import annotations

from django.http import Http404
from django.template.response import TemplateResponse

from marketplace import access, audit
from producers import selectors
from producers.models import ProducerGroup

from . import todo
from .ledger import services as ledger

GROUP_KEYS = set(todo.MANAGER_KEYS) | set(todo.TREASURER_KEYS)


def _groups_for(user, key: str) -> list[ProducerGroup]:
    if key in GROUP_KEYS:
        ids = selectors.managed_group_ids(user)
    elif key == "area_suppliers" and access.is_coordinator(user):
        ids = set(todo.watched_group_ids(user))
    else:
        raise Http404
    return list(ProducerGroup.objects.filter(pk__in=ids).order_by("name_th"))


def work_list(request, key):
    if key not in todo.LABELS:
        raise Http404
    groups = _groups_for(request.user, key)
    if not groups:
        raise Http404
    chosen = None
    if request.GET.get("group"):
        wanted = request.GET["group"]
        chosen = next((group for group in groups if str(group.pk) == wanted), None)
        if chosen is None:  # not a group of theirs (or not a number): as if it did not exist
            raise Http404
    group_ids = [chosen.pk] if chosen else [group.pk for group in groups]
    rows = list(todo.rows_for(key, group_ids)[:200])
    if key == "payouts":
        for enrolment in rows:
            enrolment.can_pay = ledger.can_record_payouts(request.user, enrolment.group)
        audit.record("todo.payouts.viewed", None, details={"groups": group_ids, "households": len(rows)})
    label, hint = todo.LABELS[key]
    context = {
        "key": key,
        "heading": label,
        "hint": hint,
        "rows": rows,
        "groups": groups,
        "chosen": chosen,
    }
    return TemplateResponse(request, "income/todo/list.html", context)
