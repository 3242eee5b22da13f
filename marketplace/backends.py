"""Permissions that follow from a user's memberships rather than from Django groups."""

from django.contrib.auth.backends import BaseBackend

from . import access

ADMIN_ACCESS = "wagtailadmin.access_admin"


class MembershipPermissionBackend(BaseBackend):
    """Members of a producer group (managers, treasurers) work in the Wagtail admin: they may
    enter it; what they see there is decided by each model's permission policy."""

    def get_all_permissions(self, user_obj, obj=None):
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return set()
        if not hasattr(user_obj, "_membership_perm_cache"):
            user_obj._membership_perm_cache = {ADMIN_ACCESS} if access.has_admin_membership(user_obj) else set()
        return user_obj._membership_perm_cache

    def has_perm(self, user_obj, perm, obj=None):
        return perm in self.get_all_permissions(user_obj, obj)
