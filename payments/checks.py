"""Deployment checks of the payments app (run by ``manage.py check --deploy``)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

from payments.bank_accounts import NotConfigured, encryption


@register(Tags.security, deploy=True)
def bank_account_key_is_set(app_configs, **kwargs):
    try:
        encryption()
    except NotConfigured as exc:
        return [
            Warning(
                f"{exc}: designers cannot save their payout bank accounts. Set BANK_ACCOUNT_ENCRYPTION_KEY to a "
                "Fernet key of its own (see README, Configuration) and keep it with the other secrets.",
                id="payments.W001",
            )
        ]
    if getattr(settings, "_DEV_BANK_ACCOUNT_KEY", None) in settings.BANK_ACCOUNT_ENCRYPTION_KEY:
        return [Warning("BANK_ACCOUNT_ENCRYPTION_KEY contains the development key.", id="payments.W002")]
    return []
