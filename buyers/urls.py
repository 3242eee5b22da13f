"""The buyer portal, under /buyer/ in the namespace "buyers": company pages, API keys and the impact
statement here; agreements, orders and their documents in orders/buyer_urls.py, which the root URLconf
(config/urls.py) serves under the same prefix and namespace."""

from django.urls import path

from . import views, views_api_keys

app_name = "buyers"

urlpatterns = [
    # The portal's home ("", buyers:home) is the to-do list, served by orders (orders/buyer_urls.py).
    path("companies/", views.portal_home, name="company_list"),
    path("companies/<int:pk>/", views.company_detail, name="company"),
    path(
        "companies/<int:pk>/invitations/<int:invitation_pk>/revoke/", views.invitation_revoke, name="invitation_revoke"
    ),
    path("companies/<int:pk>/members/<int:membership_pk>/remove/", views.member_remove, name="member_remove"),
    path("companies/<int:pk>/addresses/", views.address_list, name="addresses"),
    path("companies/<int:pk>/addresses/<int:address_pk>/", views.address_edit, name="address_edit"),
    path("companies/<int:pk>/addresses/<int:address_pk>/default/", views.address_default, name="address_default"),
    path("companies/<int:pk>/addresses/<int:address_pk>/delete/", views.address_delete, name="address_delete"),
    path("api-keys/", views_api_keys.api_keys_home, name="api_keys_home"),
    path("companies/<int:pk>/api-keys/", views_api_keys.api_key_list, name="api_keys"),
    path("companies/<int:pk>/api-keys/<int:key_pk>/revoke/", views_api_keys.api_key_revoke, name="api_key_revoke"),
    path("companies/<int:pk>/api-keys/<int:key_pk>/reissue/", views_api_keys.api_key_reissue, name="api_key_reissue"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
]
