import graphene
from graphene import relay
from graphene_django import DjangoObjectType

from designers import selectors
from designers.models import Designer
from shop.checkout.fields import DesignerShippingFields
from shop.core.graphql import CountableConnection, current_user
from shop.orders.fields import DesignerOrderFields


class DesignerStatusEnum(graphene.Enum):
    class Meta:
        name = "DesignerStatus"

    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    SUSPENDED = "SUSPENDED"


class DesignerErrorCode(graphene.Enum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    UNIQUE = "UNIQUE"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_APPLIED = "ALREADY_APPLIED"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    SELF_DECISION = "SELF_DECISION"
    NOT_APPROVED = "NOT_APPROVED"


class DesignerStatusChangeType(graphene.ObjectType):
    class Meta:
        name = "DesignerStatusChange"

    from_status = graphene.Field(DesignerStatusEnum, description="Null for the first application.")
    to_status = graphene.Field(DesignerStatusEnum, required=True)
    reason = graphene.String(required=True)
    actor_email = graphene.String(description="Who made the change (staff only see this).")
    created_at = graphene.DateTime(required=True)

    def resolve_from_status(root, info):
        return str(root.from_status) if root.from_status else None

    def resolve_to_status(root, info):
        return str(root.to_status)

    def resolve_actor_email(root, info):
        user = current_user(info)
        if user is not None and user.is_staff and root.actor_id:
            return root.actor.email
        return None


class DesignerType(DesignerOrderFields, DesignerShippingFields, DjangoObjectType):
    status = graphene.Field(DesignerStatusEnum, required=True)
    links = graphene.List(graphene.NonNull(graphene.String), required=True)
    status_history = graphene.List(
        graphene.NonNull(DesignerStatusChangeType),
        required=True,
        description="Applications and decisions, oldest first; visible to the designer itself and staff.",
    )

    class Meta:
        model = Designer
        name = "Designer"
        interfaces = (relay.Node,)
        connection_class = CountableConnection
        fields = ("id", "slug", "display_name", "bio", "city", "created_at")

    def resolve_status(root, info):
        return str(root.status)

    def resolve_links(root, info):
        return list(root.links or [])

    def resolve_status_history(root, info):
        return list(selectors.status_history(current_user(info), root))

    @classmethod
    def get_node(cls, info, id):
        return selectors.designer_by_id(current_user(info), id)


DesignerConnection = DesignerType._meta.connection

