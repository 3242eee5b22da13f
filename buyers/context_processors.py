from django.utils.functional import SimpleLazyObject

from . import selectors


def buyer_portal(request):
    """`is_company_member` and `manages_company_people` (company admins: API keys, invitations)
    for the site navigation; each asked only when a template reads it."""
    user = getattr(request, "user", None)
    return {
        "is_company_member": SimpleLazyObject(lambda: selectors.is_company_member(user)),
        "manages_company_people": SimpleLazyObject(
            lambda: selectors.companies_for(user, roles=selectors.MANAGE_PEOPLE).exists()
        ),
    }
