"""The cart and checkout, under /cart/ (config/urls.py)."""

from django.urls import path

from . import views_cart

app_name = "cart"

urlpatterns = [
    path("", views_cart.cart_detail, name="detail"),
    path("add/<int:product_pk>/", views_cart.cart_add, name="add"),
    path("items/<int:product_pk>/", views_cart.cart_update, name="update"),
    path("items/<int:product_pk>/remove/", views_cart.cart_remove, name="remove"),
    path("checkout/", views_cart.checkout, name="checkout"),
    path("checkouts/<str:reference>/", views_cart.checkout_detail, name="checkout_detail"),
    path("checkouts/<str:reference>/cancel/", views_cart.checkout_cancel, name="checkout_cancel"),
]
