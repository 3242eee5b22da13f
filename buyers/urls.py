"""The buyer portal, under /buyer/: company pages here, agreements and orders from orders.views."""

from django.urls import path

from orders import documents as order_documents
from orders import views as order_views

from . import views, views_api_keys

app_name = "buyers"

urlpatterns = [
    path("", views.portal_home, name="home"),
    path("companies/<int:pk>/", views.company_detail, name="company"),
    path(
        "companies/<int:pk>/invitations/<int:invitation_pk>/revoke/", views.invitation_revoke, name="invitation_revoke"
    ),
    path("companies/<int:pk>/members/<int:membership_pk>/remove/", views.member_remove, name="member_remove"),
    path("api-keys/", views_api_keys.api_keys_home, name="api_keys_home"),
    path("companies/<int:pk>/api-keys/", views_api_keys.api_key_list, name="api_keys"),
    path("companies/<int:pk>/api-keys/<int:key_pk>/revoke/", views_api_keys.api_key_revoke, name="api_key_revoke"),
    path("companies/<int:pk>/api-keys/<int:key_pk>/reissue/", views_api_keys.api_key_reissue, name="api_key_reissue"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("agreements/", order_views.agreement_list, name="agreement_list"),
    path("agreements/<int:pk>/", order_views.agreement_detail, name="agreement_detail"),
    path("agreements/<int:pk>/performance.csv", order_views.agreement_performance_csv, name="agreement_csv"),
    path("agreements/<int:pk>/call-off/", order_views.call_off, name="call_off"),
    path("orders/", order_views.order_list, name="order_list"),
    path("orders/<int:pk>/", order_views.order_detail, name="order_detail"),
    path("orders/<int:pk>/cancel/", order_views.order_cancel, name="order_cancel"),
    path("orders/<int:pk>/receipt/", order_documents.receipt, name="order_receipt"),
    path("deliveries/<int:pk>/accept/", order_views.delivery_accept, name="delivery_accept"),
    path("deliveries/<int:pk>/photo/", order_documents.delivery_photo, name="delivery_photo"),
    path("invoices/<int:pk>/", order_documents.invoice, name="invoice"),
]
