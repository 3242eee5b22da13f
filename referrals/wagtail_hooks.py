from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from marketplace import access

from .viewsets import ReferralsViewSetGroup


@hooks.register("register_admin_viewset")
def register_referrals_viewsets():
    return ReferralsViewSetGroup()


@hooks.register("register_admin_menu_item")
def field_work_menu_item():
    """The field pages (verification queue, referrals, figures) are outside the admin, phone first."""
    item = MenuItem(_("Field work and referral figures"), reverse("field:analysis"), icon_name="view", order=231)
    item.is_shown = lambda request: access.is_coordinator(request.user)
    return item
