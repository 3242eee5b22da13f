"""Moments in the producers app that higher layers act on, without producers importing them.

A higher app subscribes in its AppConfig.ready() (cms/apps.py does) with `register(moment, fn)`;
producers calls `fire(moment, **arguments)` where the moment happens. Subscribers run at once,
in the order they registered, inside the caller's transaction (so a subscriber's writes commit or
roll back with the change that fired it), and an exception from a subscriber propagates to the
caller: the change fails with it, as it did when producers called the subscriber directly.

The moments, and the keyword arguments each subscriber is called with:

- GROUP_SAVED (group, user): a producer group was created or edited (Wagtail admin, demo data);
  `user` is who did it, or None. cms makes sure the group's page, collection, editor and publisher
  groups and workflow exist (cms.services.ensure_group_page).
- MEMBERSHIP_CHANGED (group): someone's role in the group was granted, changed or revoked.
  cms recomputes who edits and publishes the group's pages (cms.services.sync_group_access).
- COORDINATOR_ASSIGNMENT_CHANGED (user): a coordinator's assignment (province or group) was
  made, moved or removed; fired once for each user whose assignments changed. cms resyncs the
  page permissions of every group they cover or covered (cms.services.sync_coordinator_access).

marketplace.access has the one moment below producers: `on_coordinator_role_change`.
docs/architecture.md lists every app's hooks.
"""

from __future__ import annotations

from collections.abc import Callable

GROUP_SAVED = "group_saved"
MEMBERSHIP_CHANGED = "membership_changed"
COORDINATOR_ASSIGNMENT_CHANGED = "coordinator_assignment_changed"

_subscribers: dict[str, list[Callable[..., object]]] = {
    GROUP_SAVED: [],
    MEMBERSHIP_CHANGED: [],
    COORDINATOR_ASSIGNMENT_CHANGED: [],
}


def register(moment: str, subscriber: Callable[..., object]) -> None:
    """Call `subscriber(**arguments)` whenever `moment` is fired. Registering the same subscriber
    twice for a moment has no further effect."""
    if moment not in _subscribers:
        raise ValueError(f"producers has no hook moment {moment!r}")
    if subscriber not in _subscribers[moment]:
        _subscribers[moment].append(subscriber)


def fire(moment: str, **arguments) -> None:
    """Call every subscriber of `moment`, in registration order; call inside the transaction of
    the change. Exceptions propagate."""
    for subscriber in _subscribers[moment]:
        subscriber(**arguments)
