"""The permission policy the apps' Wagtail admin views are built on (marketplace.viewsets)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from wagtail.permission_policies.base import BasePermissionPolicy

from marketplace import access


class ScopedPolicy(BasePermissionPolicy):
    """Model-level actions from the user's role (superuser, coordinator, member); instances from
    `scope(user)`, a queryset of what the user may see, so a guessed id finds nothing."""

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

    def is_member(self, user) -> bool:
        """Whether the user holds the member role this policy's `member` actions are for. None here:
        an app that has members (producers: group members) says who they are in a subclass."""
        return False

    def members(self) -> Q:
        """The users `is_member` is true for, as a filter on the user model."""
        return Q(pk__in=[])

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
            if self.member_actions and self.is_member(user):
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
            users |= self.members()
        if actions & self.superuser_actions:
            users |= Q(is_superuser=True)
        return get_user_model().objects.filter(users, is_active=True).distinct()

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and self.scope(user).filter(pk=instance.pk).exists()

    def instances_user_has_any_permission_for(self, user, actions):
        if self.user_has_any_permission(user, actions):
            return self.scope(user)
        return self.model._default_manager.none()
