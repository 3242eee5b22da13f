from django.urls import path

from . import views_payments, views_stripe_demo

app_name = "payments"

urlpatterns = [
    path("stripe/webhook/", views_payments.stripe_webhook, name="stripe_webhook"),
    path("demo/checkout/<str:session_id>/", views_stripe_demo.demo_checkout, name="demo_checkout"),
    path("demo/invoice/<str:invoice_id>/", views_stripe_demo.demo_invoice, name="demo_invoice"),
]
