import graphene
from graphene import relay
from graphene_django import DjangoObjectType

from shop.accounts import errors
from shop.accounts.models import User
from shop.core.graphql import current_user, error_codes
from shop.orders.fields import UserOrderFields

AccountErrorCode = error_codes(errors.AccountErrorCode)


class LanguageCode(graphene.Enum):
    VI = "vi"
    EN = "en"


class UserType(UserOrderFields, DjangoObjectType):
    language = graphene.Field(LanguageCode, required=True)

    class Meta:
        model = User
        name = "User"
        interfaces = (relay.Node,)
        fields = ("id", "email", "full_name", "is_staff", "date_joined")

    def resolve_language(root, info):
        return root.language

    @classmethod
    def get_node(cls, info, id):
        user = current_user(info)
        if user is None or (str(user.pk) != str(id) and not user.is_staff):
            return None
        return User.objects.filter(pk=id).first()
