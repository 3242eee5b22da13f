from urllib.parse import urlencode

from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse

from . import access


class SuperuserAdminSite(admin.AdminSite):
    """Django's own admin: superusers only, at /django-admin/, signed in through allauth (rate
    limits and MFA apply). Everyday work happens in the Wagtail admin."""

    def has_permission(self, request):
        return access.can_use_django_admin(request.user)

    def login(self, request, extra_context=None):
        next_url = request.GET.get("next") or reverse("admin:index")
        return redirect(f"{reverse('account_login')}?{urlencode({'next': next_url})}")

    def password_change(self, request, extra_context=None):
        # allauth's page: the old password is checked under its rate limits, as at sign-in.
        return redirect("account_change_password")
