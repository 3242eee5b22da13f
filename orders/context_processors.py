from django.utils.functional import SimpleLazyObject

from . import cart


def cart_link(request):
    """`cart_item_count` for the site header (shown to signed-in company members): the number of
    products in the user's cart, counted only when a template reads it."""
    user = getattr(request, "user", None)

    def count() -> int:
        if user is None or not user.is_authenticated:
            return 0
        return cart.item_count(user)

    return {"cart_item_count": SimpleLazyObject(count)}
