"""Read-only views of the money records: they change only through services and webhooks."""

from django.contrib import admin

from payments.models import (
    BankAccount,
    BankAccountChange,
    BankPayout,
    Dispute,
    LedgerEntry,
    Payment,
    PayosEvent,
    PayoutAccount,
    Refund,
    StripeEvent,
    Transfer,
)
from shop.core.admin import ReadOnlyMixin


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("id", "purchase", "gateway", "amount", "currency", "status", "psp_reference", "created_at")
    list_filter = ("gateway", "status")
    search_fields = ("psp_reference", "charge_id", "purchase__email")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "designer", "order", "kind", "amount", "currency", "reference")
    list_filter = ("kind", "currency")
    search_fields = ("reference", "designer__display_name", "order__number")
    list_select_related = ("designer", "order")


@admin.register(PayoutAccount)
class PayoutAccountAdmin(ReadOnlyAdmin):
    list_display = ("designer", "account_id", "payouts_enabled", "details_submitted", "updated_at")
    list_filter = ("payouts_enabled",)
    search_fields = ("account_id", "designer__display_name")


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "designer", "order", "kind", "amount", "currency", "status", "provider_id")
    list_filter = ("kind", "status")
    search_fields = ("provider_id", "idempotency_key", "order__number")


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "order", "amount", "currency", "source", "owed", "owed_sent_at", "actor")
    list_filter = ("source", "gateway", "owed")
    search_fields = ("order__number", "psp_reference")


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ("dispute_id", "payment", "amount", "currency", "status", "closed", "created_at")
    list_filter = ("closed", "status")


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "event_id", "type", "status", "attempts", "error")
    list_filter = ("status", "type")
    search_fields = ("event_id", "object_id", "payment_intent")


@admin.register(BankAccount)
class BankAccountAdmin(ReadOnlyAdmin):
    """Masked: the encrypted number is never shown, only its last four digits."""

    list_display = ("designer", "bank_bin", "masked_number", "account_holder", "updated_at")
    search_fields = ("designer__display_name", "account_holder")
    fields = ("designer", "bank_bin", "masked_number", "account_holder", "created_at", "updated_at")
    readonly_fields = fields
    list_select_related = ("designer",)

    @admin.display(description="account number")
    def masked_number(self, obj):
        return f"•••• {obj.account_last4}"


@admin.register(BankAccountChange)
class BankAccountChangeAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "designer",
        "actor",
        "bank_bin",
        "account_last4",
        "previous_bank_bin",
        "previous_last4",
    )
    search_fields = ("designer__display_name",)
    list_select_related = ("designer", "actor")


@admin.register(PayosEvent)
class PayosEventAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "event_id", "order_code", "amount", "status", "attempts", "error")
    list_filter = ("status",)
    search_fields = ("event_id", "order_code")


@admin.register(BankPayout)
class BankPayoutAdmin(ReadOnlyAdmin):
    """Only the last four digits of an account number are ever stored here."""

    list_display = ("created_at", "kind", "designer", "refund", "run", "amount", "to_bin", "account_last4", "status")
    list_filter = ("kind", "status", "run")
    search_fields = ("reference_id", "provider_id", "designer__display_name")
    list_select_related = ("designer",)
