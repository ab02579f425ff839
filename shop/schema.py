"""The root schema: each app contributes its queries and mutations."""

import graphene

from designers.mutations import DesignerMutations, PortfolioMutations
from designers.queries import DesignerQueries
from designers.sales_mutations import SalesMutations
from designers.sales_types import SalesQueries
from payments.mutations import PaymentMutations
from payments.queries import PaymentQueries
from shop.accounts.mutations import AccountMutations, AccountQueries
from shop.catalog.mutations import CatalogMutations
from shop.catalog.queries import CatalogQueries
from shop.checkout.mutations import CheckoutMutations
from shop.checkout.queries import CheckoutQueries
from shop.core.ids import node_field
from shop.orders.export_types import ExportMutations, ExportQueries
from shop.orders.mutations import OrderMutations
from shop.orders.queries import OrderQueries


class Query(
    PaymentQueries,
    AccountQueries,
    DesignerQueries,
    SalesQueries,
    CatalogQueries,
    CheckoutQueries,
    OrderQueries,
    ExportQueries,
    graphene.ObjectType,
):
    # null for malformed, unknown or invisible IDs (graphene's own Node.Field raises on garbage)
    node = node_field()


class Mutation(
    AccountMutations,
    DesignerMutations,
    PortfolioMutations,
    CatalogMutations,
    CheckoutMutations,
    OrderMutations,
    PaymentMutations,
    SalesMutations,
    ExportMutations,
    graphene.ObjectType,
):
    pass


schema = graphene.Schema(query=Query, mutation=Mutation)
