from django.utils.functional import SimpleLazyObject

from . import selectors


def buyer_portal(request):
    """`is_company_member` for the site navigation; asked only when a template reads it."""
    user = getattr(request, "user", None)
    return {"is_company_member": SimpleLazyObject(lambda: selectors.is_company_member(user))}
