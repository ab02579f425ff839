"""The root schema: each app contributes its queries and mutations."""
import graphene
from graphene import relay

from designers.mutations import DesignerMutations
from designers.queries import DesignerQueries
from shop.accounts.mutations import AccountMutations, AccountQueries
from shop.checkout.mutations import CheckoutMutations
from shop.checkout.queries import CheckoutQueries
from shop.orders.mutations import OrderMutations
from shop.orders.queries import OrderQueries


class Query(AccountQueries, DesignerQueries, CheckoutQueries, OrderQueries, graphene.ObjectType):
    node = relay.Node.Field()


class Mutation(AccountMutations, DesignerMutations, CheckoutMutations, OrderMutations, graphene.ObjectType):
    pass


schema = graphene.Schema(query=Query, mutation=Mutation)
