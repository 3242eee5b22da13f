"""The buyer portal's agreements, orders, deliveries and invoices, under /buyer/. The root URLconf
(config/urls.py) serves these together with buyers/urls.py in one namespace, "buyers", so the
portal's URL names (`buyers:order_detail`) stay one family although two apps serve it."""

from django.urls import path

from . import documents, views

urlpatterns = [
    path("", views.portal_home, name="home"),
    path("deliveries/", views.deliveries_to_accept, name="deliveries_to_accept"),
    path("invoices/", views.invoice_list, name="invoice_list"),
    path("agreements/", views.agreement_list, name="agreement_list"),
    path("agreements/<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path("agreements/<int:pk>/performance.csv", views.agreement_performance_csv, name="agreement_csv"),
    path("agreements/<int:pk>/call-off/", views.call_off, name="call_off"),
    path("orders/", views.order_list, name="order_list"),
    path("orders.csv", views.order_list_csv, name="order_csv"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("orders/<int:pk>/receipt/", documents.receipt, name="order_receipt"),
    path("deliveries/<int:pk>/accept/", views.delivery_accept, name="delivery_accept"),
    path("deliveries/<int:pk>/photo/", documents.delivery_photo, name="delivery_photo"),
    path("invoices/<int:pk>/", documents.invoice, name="invoice"),
]
