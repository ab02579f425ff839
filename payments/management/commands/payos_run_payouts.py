"""``manage.py payos_run_payouts [--run 2026-W49]``: run the payout run now (what Celery beat does on
PAYOUT_SCHEDULE): one payout per designer with a bank account and at least PAYOUT_MINIMUM, then
each sent to payOS. Running it again for the same run pays nobody twice. ``--check`` polls the
payouts still processing instead."""

from django.core.management.base import BaseCommand, CommandError

from payments import bank_payouts
from payments.gateways import get_bank_payout_provider
from payments.gateways.base import GatewayError
from payments.models import BankPayout


class Command(BaseCommand):
    help = "Pay designers their balance through payOS now (one payout per designer per run)."

    def add_arguments(self, parser):
        parser.add_argument("--run", default=None, help="The run's name (default: this ISO week, e.g. 2026-W49).")
        parser.add_argument("--check", action="store_true", help="Poll payOS for payouts still processing.")

    def handle(self, *args, run=None, check=False, **options):
        if get_bank_payout_provider() is None:
            raise CommandError("payOS payouts are off: set PAYOS_PAYOUT_CLIENT_ID, _API_KEY, _CHECKSUM_KEY.")
        if check:
            processing, _stale = bank_payouts.due_for_check()
            for pk in processing:
                row = bank_payouts.poll(pk)
                self.stdout.write(f"{row.reference_id}: {row.status}")
            return
        run = run or bank_payouts.run_name()
        for pk in bank_payouts.start_run(run=run):
            try:
                bank_payouts.send(pk)
            except GatewayError as exc:
                self.stderr.write(f"payout {pk}: payOS unreachable ({exc}); it will be sent again")
        for row in BankPayout.objects.filter(kind=BankPayout.Kind.DESIGNER, run=run).select_related("designer"):
            self.stdout.write(
                f"{row.reference_id}: {row.designer.display_name} {row.amount} {row.currency} "
                f"to {row.to_bin} ****{row.account_last4}: {row.status}"
            )
