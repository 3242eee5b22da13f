"""Wagtail permission policies for the producers models, built on producers.selectors.

Model-level actions come from the user's role; instance-level checks and querysets come from the
selectors' scope, so a guessed id in an admin URL finds nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from wagtail.permission_policies.base import BasePermissionPolicy

from marketplace import access

from . import selectors
from .models import Consent, Enrolment, Household, IncomeSurvey, ProducerGroup


class ScopedPolicy(BasePermissionPolicy):
    def __init__(
        self,
        model,
        *,
        scope: Callable[[object], QuerySet],
        coordinator: set[str],
        member: set[str] = frozenset(),
        superuser: set[str] = frozenset(),
    ):
        super().__init__(model)
        self.scope = scope
        self.coordinator_actions = set(coordinator)
        self.member_actions = set(member)
        self.superuser_actions = set(superuser)

    def actions_for(self, user) -> set[str]:
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return set()
        cache = user.__dict__.setdefault("_producer_policy_actions", {})
        if self.model not in cache:
            actions = set()
            if user.is_superuser:
                actions |= self.superuser_actions
            if access.is_coordinator(user):
                actions |= self.coordinator_actions
            if self.member_actions and selectors.managed_group_ids(user):
                actions |= self.member_actions
            cache[self.model] = actions
        return cache[self.model]

    def user_has_permission(self, user, action):
        return action in self.actions_for(user)

    def user_has_any_permission(self, user, actions):
        return bool(self.actions_for(user) & set(actions))

    def users_with_any_permission(self, actions):
        actions = set(actions)
        users = Q(pk__in=[])
        if actions & self.coordinator_actions:
            users |= Q(groups__name=access.COORDINATORS)
        if actions & self.member_actions:
            users |= Q(groupmembership__isnull=False)
        if actions & self.superuser_actions:
            users |= Q(is_superuser=True)
        return get_user_model().objects.filter(users, is_active=True).distinct()

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and self.scope(user).filter(pk=instance.pk).exists()

    def instances_user_has_any_permission_for(self, user, actions):
        if self.user_has_any_permission(user, actions):
            return self.scope(user)
        return self.model._default_manager.none()


def _households(user):
    return selectors.households_visible_to(user)


group_policy = ScopedPolicy(
    ProducerGroup,
    scope=selectors.groups_visible_to,
    coordinator={"add", "change", "view", "verify"},
    member={"view"},
    superuser={"add", "change", "view", "verify"},
)
household_policy = ScopedPolicy(
    Household, scope=_households, coordinator={"add", "change", "view", "export", "erase"}, member={"view", "export"}
)
enrolment_policy = ScopedPolicy(
    Enrolment,
    scope=lambda user: Enrolment.objects.filter(household__in=_households(user)),
    coordinator={"add", "change", "view"},
    member={"view"},
)
consent_policy = ScopedPolicy(
    Consent,
    scope=lambda user: Consent.objects.filter(household__in=_households(user)),
    # Consent is recorded through services.consent_record from the household page, never by the
    # generic add view: "record" is checked there.
    coordinator={"view", "record"},
    member={"view", "record"},
)
income_survey_policy = ScopedPolicy(
    IncomeSurvey,
    scope=lambda user: IncomeSurvey.objects.filter(household__in=_households(user)),
    coordinator={"add", "change", "view"},
    member={"add", "view"},
)

POLICIES = [group_policy, household_policy, enrolment_policy, consent_policy, income_survey_policy]
