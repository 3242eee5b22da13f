"""Connected in OrdersConfig.ready()."""

from django.contrib import messages


def merge_cart_at_sign_in(sender, request, user, **kwargs):
    """What a visitor put in the cart before signing in joins the user's own cart."""
    from .cart import cart_merge

    if request is None or not hasattr(request, "session"):
        return
    for note in cart_merge(session=request.session, user=user):
        messages.warning(request, note)
