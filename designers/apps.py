from django.apps import AppConfig


class DesignersConfig(AppConfig):
    name = "designers"

    def ready(self):
        # The anonymous-read cache learns what cached answers showing designers and portfolios depend on.
        from designers import cache  # noqa: F401
