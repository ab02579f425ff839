from django.urls import path

from payments.views import payos_webhook, stripe_webhook

urlpatterns = [
    path("webhooks/stripe/", stripe_webhook, name="stripe-webhook"),
    path("webhooks/payos/", payos_webhook, name="payos-webhook"),
]
