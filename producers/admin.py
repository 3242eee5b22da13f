"""Django admin (superusers only): the programme's set-up records. Household data is not here:
it lives in the scoped Wagtail admin."""

from django.contrib import admin
from django.utils.translation import ngettext

from marketplace import access, audit

from . import hooks, services
from .models import CoordinatorAssignment, GroupMembership, Institution, PovertyLine


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["code", "name_th", "name_en", "province_code"]
    search_fields = ["code", "name_th", "name_en"]

    def get_deleted_objects(self, objs, request):
        """The delete confirmation would name every related row, households by their code, to a
        superuser who may not see them: count the rows by kind instead."""
        _deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        summary = [f"{name}: {count}" for name, count in model_count.items()]
        if protected:
            protected = [
                ngettext(
                    "%(count)d record that must be removed first",
                    "%(count)d records that must be removed first",
                    len(protected),
                )
                % {"count": len(protected)}
            ]
        return summary, model_count, perms_needed, protected


@admin.register(CoordinatorAssignment)
class CoordinatorAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "institution", "province_code", "group", "created_at"]
    list_filter = ["institution", "province_code"]
    autocomplete_fields = ["user"]
    raw_id_fields = ["group"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not access.is_coordinator(obj.user):
            access.grant_role(user=obj.user, group_name=access.COORDINATORS)
        audit.record(
            "role.assignment_changed" if change else "role.assignment_granted",
            obj,
            details={"user": obj.user.email, "province": obj.province_code, "group": obj.group_id},
        )
        # Who may publish which group pages follows the assignments (also the previous holder's,
        # when the assignment was moved to another user).
        users = {obj.user}
        previous_user = form.initial.get("user") if change else None
        if previous_user and previous_user != obj.user_id:
            users.add(type(obj.user).objects.get(pk=previous_user))
        for user in users:
            hooks.fire(hooks.COORDINATOR_ASSIGNMENT_CHANGED, user=user)

    def delete_model(self, request, obj):
        audit.record("role.assignment_revoked", obj, details={"user": obj.user.email, "province": obj.province_code})
        super().delete_model(request, obj)
        hooks.fire(hooks.COORDINATOR_ASSIGNMENT_CHANGED, user=obj.user)

    def delete_queryset(self, request, queryset):
        # One by one, so each removal is audited and its page permissions follow.
        for assignment in queryset:
            self.delete_model(request, assignment)


@admin.register(GroupMembership)
class GroupMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "group", "role", "created_at"]
    list_filter = ["role"]
    autocomplete_fields = ["user"]
    raw_id_fields = ["group"]

    def save_model(self, request, obj, form, change):
        # Through the service, so the change is audited like any other.
        services.membership_grant(user=obj.user, group=obj.group, role=obj.role, granted_by=request.user)

    def delete_model(self, request, obj):
        services.membership_revoke(membership=obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset:
            services.membership_revoke(membership=membership)


@admin.register(PovertyLine)
class PovertyLineAdmin(admin.ModelAdmin):
    list_display = ["year", "baht_per_person_month", "source"]
