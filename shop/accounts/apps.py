from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "shop.accounts"
    label = "accounts"

    def ready(self):
        from shop.accounts import tokens
        from shop.core import hooks

        hooks.bearer_user.register(tokens.user_for_bearer_token)
