"""The root schema: each app contributes its queries and mutations."""
import graphene
from graphene import relay

from designers.mutations import DesignerMutations
from designers.queries import DesignerQueries
from payments.mutations import PaymentMutations
from shop.accounts.mutations import AccountMutations, AccountQueries


class Query(AccountQueries, DesignerQueries, graphene.ObjectType):
    node = relay.Node.Field()


class Mutation(AccountMutations, DesignerMutations, PaymentMutations, graphene.ObjectType):
    pass


schema = graphene.Schema(query=Query, mutation=Mutation)
