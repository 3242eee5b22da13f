"""What may this user see and do? The one place that answers it.

Views, selectors, admin viewsets and the API ask here; they never test groups or memberships
themselves. Roles:

* **superuser**: the platform operator; the only one who reaches Django's own admin.
* **coordinator**: a university coordinator, a member of the Django group "Coordinators"; works in
  the Wagtail admin, on the areas assigned to them (the producers app narrows it by area).
* **producer group manager / treasurer**: a membership row in the producers app.
* **company admin / purchaser / viewer**: a membership row in the buyers app.

Apps attach memberships by subclassing `Membership` (user, role, who granted it) and registering a
`MembershipSource` in their AppConfig.ready(); `memberships(user, kind)` then answers for every
app, and `grant_role`/`revoke_role` audit every change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from . import audit

COORDINATORS = "Coordinators"


def is_coordinator(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    # Cached on the user object: asked many times a request.
    if not hasattr(user, "_is_coordinator"):
        user._is_coordinator = user.groups.filter(name=COORDINATORS).exists()
    return user._is_coordinator


def requires_mfa(user) -> bool:
    """Staff, superusers, coordinators and producer group staff (managers, treasurers: their
    admin pages show the group's households) must have a second factor before any admin page."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser or is_coordinator(user):
        return True
    # Cached on the user object: asked on every request by two middlewares.
    if not hasattr(user, "_has_admin_membership"):
        user._has_admin_membership = has_admin_membership(user) or any(rule(user) for rule in _mfa_rules)
    return user._has_admin_membership


# Other roles that reach households' personal data outside the admin (area research managers,
# agency staff: the referrals app) register here: they too must have a second factor.
_mfa_rules: list[Callable] = []


def register_mfa_rule(rule: Callable) -> None:
    _mfa_rules.append(rule)


def can_use_django_admin(user) -> bool:
    return getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser


def can_use_wagtail_admin(user) -> bool:
    return getattr(user, "is_authenticated", False) and user.has_perm("wagtailadmin.access_admin")


# --- Memberships ----------------------------------------------------------------------------


class Membership(models.Model):
    """Base for a user's role in one organisation (a producer group, a company).

    Subclasses add the organisation foreign key and their `Role` choices, and a unique constraint
    on (user, organisation).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE)
    role = models.CharField(_("role"), max_length=20)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True


@dataclass(frozen=True)
class MembershipSource:
    """How one app's memberships are found: `model` is a `Membership` subclass whose foreign key
    to the organisation is `organisation_field`."""

    kind: str
    model: type[Membership]
    organisation_field: str
    # Members of this kind work in the Wagtail admin (see marketplace.backends).
    grants_admin_access: bool = False


_sources: dict[str, MembershipSource] = {}


def register_membership_source(source: MembershipSource) -> None:
    _sources[source.kind] = source


def memberships(user, kind: str, roles: Iterable[str] | None = None) -> dict[int, str]:
    """{organisation id: role} for the user's memberships of that kind ({} when none)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return {}
    source = _sources.get(kind)
    if source is None:
        return {}
    rows = source.model.objects.filter(user=user)
    if roles is not None:
        rows = rows.filter(role__in=list(roles))
    return dict(rows.values_list(f"{source.organisation_field}_id", "role"))


# Called with a user whose coordinator role was granted or revoked, however it happened (a
# service, a Wagtail or Django admin form): apps whose permissions follow the role resync them.
_coordinator_role_listeners: list[Callable] = []


def on_coordinator_role_change(listener: Callable) -> None:
    _coordinator_role_listeners.append(listener)


def coordinator_role_changed(user) -> None:
    user.__dict__.pop("_is_coordinator", None)
    for listener in _coordinator_role_listeners:
        listener(user)


def has_admin_membership(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return any(
        source.model.objects.filter(user=user).exists() for source in _sources.values() if source.grants_admin_access
    )


def grant_role(*, user, group_name: str, granted_by=None) -> None:
    """Put a user in a Django group (e.g. Coordinators), audited."""
    with transaction.atomic():
        group, _created = Group.objects.get_or_create(name=group_name)
        if user.groups.filter(pk=group.pk).exists():
            return
        user.groups.add(group)  # the m2m receiver writes the audit event


def revoke_role(*, user, group_name: str) -> None:
    with transaction.atomic():
        group = Group.objects.filter(name=group_name).first()
        if group is not None:
            user.groups.remove(group)


def record_membership_change(membership: Membership, action: str) -> None:
    """Audit a membership granted, changed or revoked (action: "granted", "changed", "revoked").
    Membership services call this inside their transaction."""
    source = next((s for s in _sources.values() if isinstance(membership, s.model)), None)
    audit.record(
        f"role.{action}",
        membership,
        details={
            "kind": source.kind if source else membership._meta.label_lower,
            "user": membership.user.email,
            "role": membership.role,
            "organisation_id": getattr(membership, f"{source.organisation_field}_id") if source else None,
        },
    )
