import graphene

from payments.gateways import enabled_gateways
from shop.checkout import selectors
from shop.checkout.types import CheckoutType, OfferedGateway, PaymentGatewayType
from shop.core.graphql import current_user
from shop.core.scalars import UUIDScalar


class CheckoutQueries(graphene.ObjectType):
    checkout = graphene.Field(
        CheckoutType,
        token=UUIDScalar(required=True),
        description="A checkout by its token (a signed-in buyer's checkout only for that buyer).",
    )
    payment_gateways = graphene.List(
        graphene.NonNull(PaymentGatewayType),
        required=True,
        checkout_token=UUIDScalar(
            description="A checkout: each gateway then says whether it can take it, and why not "
            "(e.g. cash on delivery: VND only, shipped goods only, up to COD_MAX_AMOUNT, every designer "
            "accepting it). An unknown token is treated as no checkout."
        ),
        description="The payment gateways checkoutComplete accepts.",
    )

    def resolve_checkout(root, info, token):
        checkout = selectors.checkout_by_token(current_user(info), token)
        if checkout is not None and checkout.user_id:
            checkout = type(checkout).objects.select_related("user").get(pk=checkout.pk)
        return checkout

    def resolve_payment_gateways(root, info, checkout_token=None):
        gateways = enabled_gateways()
        checkout = selectors.checkout_by_token(current_user(info), checkout_token) if checkout_token else None
        if checkout is None:
            return [OfferedGateway(gateway) for gateway in gateways]
        offer = selectors.payment_offer(selectors.checkout_summary(checkout))
        return [OfferedGateway(gateway, gateway.unavailable_reason(offer)) for gateway in gateways]
