from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from shop.core import money


class Payment(models.Model):
    """One attempt to pay a purchase through a gateway."""

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        SUCCEEDED = "SUCCEEDED", "Succeeded"
        FAILED = "FAILED", "Failed"
        CANCELLED = "CANCELLED", "Cancelled"

    purchase = models.ForeignKey("orders.Purchase", on_delete=models.PROTECT, related_name="payments")
    gateway = models.CharField(max_length=32)
    amount = models.DecimalField(max_digits=money.MAX_DIGITS, decimal_places=money.DECIMAL_PLACES)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    psp_reference = models.CharField(max_length=255, blank=True, db_index=True)
    # The provider's charge behind a succeeded payment (Stripe: the PaymentIntent's latest_charge),
    # the source_transaction of the designers' transfers.
    charge_id = models.CharField(max_length=255, blank=True, db_index=True)
    client_secret = models.CharField(max_length=255, blank=True)
    # A bank-transfer gateway (payOS): the hosted payment page and the VietQR payload to show.
    # (db_default: rows written by raw SQL, e.g. the benchmark's seed, need no value.)
    checkout_url = models.URLField(max_length=500, blank=True, default="", db_default="")
    qr_code = models.TextField(blank=True, default="", db_default="")
    idempotency_key = models.CharField(max_length=255, unique=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class PayoutAccount(models.Model):
    """A designer's connected account at the payout provider (Stripe Connect)."""

    designer = models.OneToOneField("designers.Designer", on_delete=models.PROTECT, related_name="payout_account")
    provider = models.CharField(max_length=32, default="stripe")
    account_id = models.CharField(max_length=255, unique=True)
    payouts_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    charges_enabled = models.BooleanField(default=False)
    # Unix time of the provider event last applied: an older, late event never undoes a newer one.
    synced_event_created = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)


class ProviderEvent(models.Model):
    """A verified notification from a provider, stored once (unique ``event_id``) and processed by a
    Celery task at most once to completion (payments/deliveries.py): how many times it was tried,
    the last error, when it was received and processed. Each kind has its ``Status`` and ``status``."""

    event_id = models.CharField(max_length=255, unique=True)
    payload = models.JSONField()
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["received_at", "id"]


class StripeEvent(ProviderEvent):
    """A verified webhook event, stored once (unique event id) and processed by a Celery task."""

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        PROCESSED = "PROCESSED", "Processed"
        DEFERRED = "DEFERRED", "Waiting for an earlier event"
        IGNORED = "IGNORED", "Ignored"
        FAILED = "FAILED", "Failed (retrying)"

    type = models.CharField(max_length=100, db_index=True)
    account = models.CharField(max_length=255, blank=True, help_text="Connected account (Connect events).")
    object_id = models.CharField(max_length=255, blank=True, db_index=True)
    payment_intent = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_created = models.BigIntegerField(default=0, help_text="Unix time Stripe created the event.")
    livemode = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)


class Refund(models.Model):
    """Money given back to the buyer for one order (through the purchase's payment)."""

    class Source(models.TextChoices):
        API = "API", "Our API (staff or designer)"
        PROVIDER = "PROVIDER", "Made at the provider (e.g. Stripe dashboard)"

    class Status(models.TextChoices):
        # recorded before the provider is called (its amount reserved); finished by the request
        # or by payments.refunds.resume_pending_refunds
        PENDING = "PENDING", "Being made at the provider"
        SUCCEEDED = "SUCCEEDED", "Made"

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=money.MAX_DIGITS, decimal_places=money.DECIMAL_PLACES)
    currency = models.CharField(max_length=3)
    reason = models.TextField(blank=True, max_length=1000)
    restock = models.BooleanField(default=False)
    lines = models.JSONField(default=list, blank=True, help_text='[{"line_id": 1, "quantity": 2}, ...]')
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.API)
    gateway = models.CharField(max_length=32)
    psp_reference = models.CharField(max_length=255, blank=True, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUCCEEDED)
    idempotency_key = models.CharField(max_length=255, unique=True)
    actor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    # A gateway without a refund API (payOS): the refund is owed to the buyer until staff send it
    # by bank payout; None for a refund the provider made.
    owed_sent_at = models.DateTimeField(null=True, blank=True)
    owed = models.BooleanField(
        default=False, db_default=False, help_text="Owed to the buyer: staff send it by bank payout."
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]


class Transfer(models.Model):
    """A designer's share moved to (TRANSFER) or taken back from (REVERSAL) its connected account,
    for one order. Written PENDING before the provider is called, so a retry reuses the same amount
    and idempotency key; SUCCEEDED rows have a ledger entry."""

    class Kind(models.TextChoices):
        TRANSFER = "TRANSFER", "Transfer"
        REVERSAL = "REVERSAL", "Reversal"

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        SUCCEEDED = "SUCCEEDED", "Succeeded"
        FAILED = "FAILED", "Failed"

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payout_transfers")
    designer = models.ForeignKey("designers.Designer", on_delete=models.PROTECT, related_name="payout_transfers")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals")
    amount = models.BigIntegerField(help_text="Smallest currency unit.")
    currency = models.CharField(max_length=3)
    destination = models.CharField(max_length=255, blank=True)
    source_transaction = models.CharField(max_length=255, blank=True)
    provider_id = models.CharField(max_length=255, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="transfer_amount_positive")]


class Dispute(models.Model):
    """A chargeback on a purchase's charge, shared across its orders."""

    dispute_id = models.CharField(max_length=255, unique=True)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="disputes")
    amount = models.BigIntegerField(help_text="Smallest currency unit.")
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=40, blank=True)
    # {order_id: share in minor units} of the disputed amount, fixed when the loss is recorded.
    allocations = models.JSONField(default=dict, blank=True)
    loss_recorded = models.BooleanField(default=False)
    closed = models.BooleanField(default=False)
    staff_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)


class LedgerEntry(models.Model):
    """One money movement for one designer, in the order's currency, as a signed integer in the
    currency's smallest unit. Never updated or deleted; ``reference`` makes each movement unique,
    so recording it twice is a no-op.

    Signs: earnings kinds (SALE, COMMISSION, COMMISSION_REFUND, REFUND, DISPUTE, DISPUTE_REVERSAL)
    carry their effect on what the designer has earned; TRANSFER / TRANSFER_REVERSAL the money moved
    to (+) or back from (-) the designer's connected account; PAYOUT / PAYOUT_FAILED the money paid to
    (+) or returned from (-) the designer's bank; COD_COLLECTED (+) the cash a designer kept from a
    buyer who paid on delivery. Hence (see payments/ledger.py): pending = earnings - transferred -
    collected (negative: the designer owes the platform, e.g. commission on cash collected),
    available = transferred - paid out, paidOut = paid out.
    """

    class Kind(models.TextChoices):
        SALE = "SALE", "Sale"
        COMMISSION = "COMMISSION", "Platform commission"
        COMMISSION_REFUND = "COMMISSION_REFUND", "Commission given back"
        REFUND = "REFUND", "Refund to the buyer"
        DISPUTE = "DISPUTE", "Dispute (chargeback)"
        DISPUTE_REVERSAL = "DISPUTE_REVERSAL", "Dispute won"
        TRANSFER = "TRANSFER", "Transfer to the designer's account"
        TRANSFER_REVERSAL = "TRANSFER_REVERSAL", "Transfer reversed"
        PAYOUT = "PAYOUT", "Payout to the bank"
        PAYOUT_FAILED = "PAYOUT_FAILED", "Payout failed"
        COD_COLLECTED = "COD_COLLECTED", "Cash collected on delivery by the designer"

    designer = models.ForeignKey("designers.Designer", on_delete=models.PROTECT, related_name="ledger_entries")
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = models.BigIntegerField(help_text="Signed, in the currency's smallest unit.")
    currency = models.CharField(max_length=3)
    reference = models.CharField(max_length=255, unique=True)
    description = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "ledger entries"
        indexes = [
            models.Index(fields=["designer", "currency", "kind"], name="ledger_designer_kind_idx"),
            models.Index(fields=["designer", "-created_at", "-id"], name="ledger_designer_recent_idx"),
        ]


class BankAccount(models.Model):
    """The Vietnamese bank account a designer is paid to. The number is stored encrypted
    (payments/bank_accounts.py, Fernet with settings.BANK_ACCOUNT_ENCRYPTION_KEY) and shown only by
    its last four digits; the holder as banks print it (upper case, no diacritics)."""

    designer = models.OneToOneField("designers.Designer", on_delete=models.PROTECT, related_name="bank_account")
    bank_bin = models.CharField(max_length=8, help_text="The bank's BIN (NAPAS / VietQR).")
    account_number_encrypted = models.TextField(editable=False)
    account_last4 = models.CharField(max_length=4)
    account_holder = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)


class BankAccountChange(models.Model):
    """Audit trail: every time a designer's bank account is set or changed (never the full number)."""

    designer = models.ForeignKey("designers.Designer", on_delete=models.PROTECT, related_name="bank_account_changes")
    actor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    bank_bin = models.CharField(max_length=8)
    account_last4 = models.CharField(max_length=4)
    account_holder = models.CharField(max_length=100)
    previous_bank_bin = models.CharField(max_length=8, blank=True)
    previous_last4 = models.CharField(max_length=4, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    email_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]


class PayosEvent(ProviderEvent):
    """A verified payOS webhook (one bank transaction into a payment request), stored once: its
    ``event_id`` is the payment request's id and the bank's transaction reference."""

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        PROCESSED = "PROCESSED", "Processed"
        IGNORED = "IGNORED", "Ignored"
        FAILED = "FAILED", "Failed (retrying)"

    order_code = models.BigIntegerField(db_index=True)
    amount = models.BigIntegerField(help_text="VND.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)


class BankPayout(models.Model):
    """Money sent to a bank account through a payout provider (payOS): a designer's balance in a
    payout run, or a refund owed to a buyer. The row is written (and, for a designer, the money
    taken from its balance in the ledger) before the provider is called; its ``reference_id`` is
    the provider's reference and idempotency key, so a retry never pays twice. Only the last four
    digits of the account number are kept here."""

    class Kind(models.TextChoices):
        DESIGNER = "DESIGNER", "Designer's balance"
        REFUND = "REFUND", "Refund owed to a buyer"

    class Status(models.TextChoices):
        PENDING = "PENDING", "Created, not yet accepted by the provider"
        PROCESSING = "PROCESSING", "Accepted, being sent"
        SUCCEEDED = "SUCCEEDED", "Sent"
        FAILED = "FAILED", "Failed (money returned)"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    designer = models.ForeignKey(
        "designers.Designer", null=True, blank=True, on_delete=models.PROTECT, related_name="bank_payouts"
    )
    refund = models.ForeignKey(
        "payments.Refund", null=True, blank=True, on_delete=models.PROTECT, related_name="bank_payouts"
    )
    run = models.CharField(max_length=40, blank=True, help_text="The payout run (one payout per designer per run).")
    provider = models.CharField(max_length=32, default="payos")
    amount = models.BigIntegerField(help_text="Smallest currency unit.")
    currency = models.CharField(max_length=3, default="VND")
    reference_id = models.CharField(max_length=255, unique=True)
    to_bin = models.CharField(max_length=8)
    account_last4 = models.CharField(max_length=4)
    account_holder = models.CharField(max_length=100, blank=True)
    provider_id = models.CharField(max_length=255, blank=True, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="bank_payout_amount_positive"),
            models.UniqueConstraint(
                fields=["designer", "run"], condition=Q(kind="DESIGNER"), name="bank_payout_one_per_designer_run"
            ),
        ]
