from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class DesignersConfig(AppConfig):
    name = "designers"

    # Migration safety (shop/core/migration_safety.py): this app's tables that grow with traffic, and
    # its migrations written before the rule (not re-judged).
    large_tables = ()
    migrations_before_safety_rule = ("0001_initial", "0002_portfolioitem_portfolioimage")

    def ready(self):
        # The anonymous-read cache learns what cached answers showing designers and portfolios depend on.
        from designers import cache  # noqa: F401
        from designers.selectors import CatalogDesigners
        from shop.catalog import hooks as catalog_hooks
        from shop.core import ids

        # How the catalog (a layer down) learns about the designers its products belong to.
        catalog_hooks.designers.register(CatalogDesigners())
        ids.register_type_labels(
            Designer=gettext_lazy("Designer"),
            PortfolioImage=gettext_lazy("PortfolioImage"),
            PortfolioItem=gettext_lazy("PortfolioItem"),
        )
