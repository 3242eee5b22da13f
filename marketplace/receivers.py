"""Audit receivers for events Django and allauth announce by signal (logins, MFA, group changes).
Business flows call `audit.record` explicitly instead."""

import functools

from allauth.account.signals import email_confirmed, password_changed, password_reset
from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

from . import access, audit
from .audit import client_ip

User = get_user_model()


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit.record("auth.login", user, actor=user, ip_address=client_ip(request) if request else None)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record("auth.logout", user, actor=user, ip_address=client_ip(request) if request else None)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # Never store the password; the email tried is what an investigator needs.
    tried = str(credentials.get("email") or credentials.get("username") or "")[:254]
    audit.record(
        "auth.login_failed",
        actor=None,
        object_type=User._meta.label_lower,
        details={"email": tried},
        ip_address=client_ip(request) if request else None,
    )


@receiver(email_confirmed)
def _email_confirmed(sender, request, email_address, **kwargs):
    audit.record("auth.email_confirmed", email_address.user, details={"email": email_address.email})


@receiver(password_changed)
def _password_changed(sender, request, user, **kwargs):
    audit.record("auth.password_changed", user)


@receiver(password_reset)
def _password_reset(sender, request, user, **kwargs):
    audit.record("auth.password_reset", user, actor=user)


@receiver(authenticator_added)
def _mfa_added(sender, request, user, authenticator, **kwargs):
    audit.record("mfa.added", user, details={"type": authenticator.type})


@receiver(authenticator_removed)
def _mfa_removed(sender, request, user, authenticator, **kwargs):
    audit.record("mfa.removed", user, details={"type": authenticator.type})


@receiver(authenticator_reset)
def _mfa_reset(sender, request, user, authenticator, **kwargs):
    audit.record("mfa.reset", user, details={"type": authenticator.type})


@receiver(m2m_changed, sender=User.groups.through)
def _groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action == "pre_clear":
        # clear() names nothing: read what is about to go.
        related = instance.user_set if reverse else instance.groups
        pk_set = set(related.values_list("pk", flat=True))
    elif action not in {"post_add", "post_remove"}:
        return
    if not pk_set:
        return
    verb = "granted" if action == "post_add" else "revoked"
    if reverse:
        # group.user_set.add(...): instance is the group, pk_set the users.
        names = [instance.name]
        users = list(User.objects.filter(pk__in=pk_set))
    else:
        names = list(Group.objects.filter(pk__in=pk_set).values_list("name", flat=True))
        users = [instance]
    for user in users:
        for name in names:
            audit.record(f"role.{verb}", user, details={"kind": "group", "group": name})
        user.__dict__.pop("_is_coordinator", None)
        if access.COORDINATORS in names:
            if action == "pre_clear":
                # The role is only gone once clear() has run.
                transaction.on_commit(functools.partial(access.coordinator_role_changed, user))
            else:
                access.coordinator_role_changed(user)


_FLAGS = ("is_staff", "is_superuser", "is_active")


@receiver(pre_save, sender=User)
def _remember_flags(sender, instance, **kwargs):
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not set(update_fields) & set(_FLAGS):
        return  # e.g. the last_login update on every sign-in
    if instance.pk and not kwargs.get("raw"):
        instance._flags_before = dict(User.objects.filter(pk=instance.pk).values(*_FLAGS).first() or {})


@receiver(post_save, sender=User)
def _flags_changed(sender, instance, created, **kwargs):
    before = getattr(instance, "_flags_before", None)
    if created or not before:
        return
    changed = {
        flag: [before[flag], getattr(instance, flag)] for flag in _FLAGS if before[flag] != getattr(instance, flag)
    }
    if changed:
        audit.record("role.changed", instance, details={"flags": changed})
    instance._flags_before = None
