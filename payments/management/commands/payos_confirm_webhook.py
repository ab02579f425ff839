"""``manage.py payos_confirm_webhook https://market.example.com/webhooks/payos/``: register the
webhook endpoint with payOS (payOS posts a signed test delivery there first, so the server must be
reachable at that URL and running with the same PAYOS_CHECKSUM_KEY)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from payments.gateways.base import GatewayError
from payments.gateways.payos import PayOSGateway


class Command(BaseCommand):
    help = "Register the payOS webhook URL (payOS tests it with a signed delivery first)."

    def add_arguments(self, parser):
        parser.add_argument("url", help="The public URL of POST /webhooks/payos/")

    def handle(self, *args, url: str, **options):
        if not (settings.PAYOS_CLIENT_ID and settings.PAYOS_API_KEY and settings.PAYOS_CHECKSUM_KEY):
            raise CommandError("Set PAYOS_CLIENT_ID, PAYOS_API_KEY and PAYOS_CHECKSUM_KEY first.")
        if not url.startswith(("https://", "http://")):
            raise CommandError("The URL must start with https:// (or http:// for a local test).")
        try:
            answer = PayOSGateway().confirm_webhook(url)
        except GatewayError as exc:
            raise CommandError(f"payOS did not register the webhook: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"payOS will send payment notifications to {answer.get('webhookUrl')} "
                f"(account {answer.get('accountName')}, {answer.get('shortName')})"
            )
        )
