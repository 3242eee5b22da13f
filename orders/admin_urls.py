from django.urls import path

from . import admin_outbox, admin_views, views_stock

app_name = "orders_admin"

urlpatterns = [
    path("agreements/<int:pk>/", admin_views.agreement_overview, name="agreement_overview"),
    path("agreements/<int:pk>/activate/", admin_views.agreement_activate, name="agreement_activate"),
    path("agreements/<int:pk>/terminate/", admin_views.agreement_terminate, name="agreement_terminate"),
    path("agreements/<int:pk>/amend/", admin_views.agreement_amend, name="agreement_amend"),
    path("agreements/<int:pk>/performance.csv", admin_views.agreement_csv, name="agreement_csv"),
    path("agreements/<int:pk>/document/", admin_views.agreement_document, name="agreement_document"),
    path("companies/<int:pk>/invite/", admin_views.company_invite, name="company_invite"),
    path("orders/<int:pk>/", admin_views.order_detail, name="order_detail"),
    path("orders/<int:pk>/confirm/", admin_views.order_confirm, name="order_confirm"),
    path("orders/<int:pk>/decline/", admin_views.order_decline, name="order_decline"),
    path("orders/<int:pk>/deliver/", admin_views.order_deliver, name="order_deliver"),
    path("orders/<int:pk>/cancel/", admin_views.order_cancel, name="order_cancel"),
    path("invoices/<int:pk>/retry/", admin_views.invoice_retry, name="invoice_retry"),
    path("invoices/overdue/", admin_views.overdue_invoices, name="overdue_invoices"),
    path("outbox/", admin_outbox.outbox_index, name="outbox"),
    path("outbox/<int:pk>/retry/", admin_outbox.outbox_retry, name="outbox_retry"),
    path("outbox/jobs/<uuid:pk>/retry/", admin_outbox.job_retry, name="job_retry"),
    path("products/<int:product_pk>/stock/", views_stock.stock_update, name="stock_update"),
]
