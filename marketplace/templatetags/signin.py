"""Where a signed-in person goes next from the account pages."""

from django import template
from django.urls import reverse

from marketplace import access

register = template.Library()


@register.simple_tag
def continue_url(user) -> str:
    """The admin for those who work there (coordinators, group staff, staff), the site's home for
    everyone else."""
    return reverse("wagtailadmin_home") if access.requires_mfa(user) else "/"
