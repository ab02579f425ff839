from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "shop.accounts"
    label = "accounts"

    # Migration safety (shop/core/migration_safety.py): this app's tables that grow with traffic, and
    # its migrations written before the rule (not re-judged).
    large_tables = ("accounts_user",)
    migrations_before_safety_rule = ("0001_initial", "0002_password_reset_request")

    def ready(self):
        from shop.accounts import tokens
        from shop.core import hooks

        hooks.bearer_user.register(tokens.user_for_bearer_token)
