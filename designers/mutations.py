import graphene
from django.utils.translation import gettext as _

from designers import selectors
from designers.services import portfolio, profiles
from designers.types import DesignerErrorCode, DesignerType, PortfolioErrorCode, PortfolioImageType, PortfolioItemType
from shop.core.errors import CommonErrorCode, ServiceError
from shop.core.graphql import (
    BaseMutation,
    RoleCheckedMutation,
    current_user,
    error_type,
    require_staff,
    require_user,
)
from shop.core.ids import decode_id, decode_ids, optional_id
from shop.core.image_mutations import ordered_image_mutations

DesignerError = error_type("DesignerError", DesignerErrorCode)


class DesignerMutation(BaseMutation):
    class Meta:
        abstract = True

    error_codes = DesignerErrorCode
    errors = graphene.List(graphene.NonNull(DesignerError), required=True)
    designer = graphene.Field(DesignerType)


class DesignerApplyInput(graphene.InputObjectType):
    display_name = graphene.String(required=True)
    slug = graphene.String(description="Derived from the display name when omitted (Vietnamese-aware).")
    bio = graphene.String()
    city = graphene.String()
    links = graphene.List(graphene.NonNull(graphene.String))


class DesignerApply(DesignerMutation):
    """Apply to sell. The application is PENDING until staff decide."""

    class Arguments:
        input = DesignerApplyInput(required=True)

    @classmethod
    def perform(cls, root, info, input):
        designer = profiles.apply_as_designer(
            user=require_user(info),
            display_name=input.get("display_name"),
            slug=input.get("slug"),
            bio=input.get("bio"),
            city=input.get("city"),
            links=input.get("links"),
        )
        return cls(designer=designer)


class DesignerUpdateInput(graphene.InputObjectType):
    display_name = graphene.String()
    slug = graphene.String()
    bio = graphene.String()
    city = graphene.String()
    links = graphene.List(graphene.NonNull(graphene.String))
    accepts_cash_on_delivery = graphene.Boolean(
        description="false: purchases including your products are not offered cash on delivery."
    )
    weekly_digest = graphene.Boolean(description="Monday's email with last week's sales (on by default).")


class DesignerUpdate(DesignerMutation):
    """Edit the caller's own designer profile."""

    class Arguments:
        input = DesignerUpdateInput(required=True)

    @classmethod
    def perform(cls, root, info, input):
        user = require_user(info)
        designer = selectors.designer_of(user)
        if designer is None:
            raise ServiceError(CommonErrorCode.NOT_FOUND, _("You have not applied to sell yet."), None)
        designer = profiles.update_designer_profile(designer=designer, actor=user, **dict(input))
        return cls(designer=designer)


def _decision(name: str, needs_reason: bool, doc: str):
    arguments = {"id": graphene.ID(required=True)}
    if needs_reason:
        arguments["reason"] = graphene.String(required=True)
    else:
        arguments["reason"] = graphene.String()

    def perform(cls, root, info, id, reason=""):
        actor = require_staff(info)
        designer = profiles.decide(
            designer_id=decode_id(id, "Designer"), decision=name, actor=actor, reason=reason or ""
        )
        return cls(designer=designer)

    return type(
        f"Designer{name.capitalize()}",
        (DesignerMutation,),
        {
            "__doc__": doc,
            "Arguments": type("Arguments", (), arguments),
            "perform": classmethod(perform),
            "__module__": __name__,
        },
    )


DesignerApprove = _decision("approve", False, "Staff: approve a pending application.")
DesignerReject = _decision("reject", True, "Staff: reject a pending application, with a reason sent to the applicant.")
DesignerSuspend = _decision("suspend", True, "Staff: suspend an approved designer; its products leave the storefront.")
DesignerReinstate = _decision("reinstate", False, "Staff: reinstate a suspended designer.")


class DesignerMutations(graphene.ObjectType):
    designer_apply = DesignerApply.Field()
    designer_update = DesignerUpdate.Field()
    designer_approve = DesignerApprove.Field()
    designer_reject = DesignerReject.Field()
    designer_suspend = DesignerSuspend.Field()
    designer_reinstate = DesignerReinstate.Field()


# --- portfolio -------------------------------------------------------------------------------------

PortfolioError = error_type("PortfolioError", PortfolioErrorCode)


class PortfolioMutation(RoleCheckedMutation):
    """Signed-in designers (or staff) only: anyone else gets PERMISSION_DENIED whatever IDs it
    sends. Items and images of another designer are NOT_FOUND, like unknown ones (services)."""

    class Meta:
        abstract = True

    error_codes = PortfolioErrorCode
    errors = graphene.List(graphene.NonNull(PortfolioError), required=True)

    @classmethod
    def check_role(cls, user) -> None:
        portfolio.check_portfolio_role(user)


class PortfolioItemMutation(PortfolioMutation):
    class Meta:
        abstract = True

    portfolio_item = graphene.Field(PortfolioItemType)


class PortfolioItemCreateInput(graphene.InputObjectType):
    title = graphene.String(required=True)
    description = graphene.String()
    year = graphene.Int()
    role = graphene.String(description="Role or credits, e.g. “Thiết kế & in lụa”.")
    tags = graphene.List(graphene.NonNull(graphene.String))
    products = graphene.List(graphene.NonNull(graphene.ID), description="The designer's own products to link.")
    designer = graphene.ID(description="Staff only: whose portfolio.")


class PortfolioItemUpdateInput(graphene.InputObjectType):
    title = graphene.String()
    description = graphene.String()
    year = graphene.Int(description="`null` removes the year.")
    role = graphene.String()
    tags = graphene.List(graphene.NonNull(graphene.String))
    products = graphene.List(graphene.NonNull(graphene.ID), description="Replaces the linked products.")


class PortfolioItemCreate(PortfolioItemMutation):
    """Add a piece of work to the caller's portfolio (last in order)."""

    class Arguments:
        input = PortfolioItemCreateInput(required=True)

    @classmethod
    def perform(cls, root, info, input):
        item = portfolio.create_portfolio_item(
            actor=current_user(info),
            title=input.get("title"),
            description=input.get("description"),
            year=input.get("year"),
            role=input.get("role"),
            tags=input.get("tags"),
            product_ids=decode_ids(input.get("products"), "Product", field="products"),
            designer_id=optional_id(input, "designer", "Designer"),
        )
        return cls(portfolio_item=item)


class PortfolioItemUpdate(PortfolioItemMutation):
    class Arguments:
        id = graphene.ID(required=True)
        input = PortfolioItemUpdateInput(required=True)

    @classmethod
    def perform(cls, root, info, id, input):
        kwargs = {"year": input["year"]} if "year" in input else {}
        if input.get("products") is not None:
            kwargs["product_ids"] = decode_ids(input["products"], "Product", field="products")
        item = portfolio.update_portfolio_item(
            actor=current_user(info),
            item_id=decode_id(id, "PortfolioItem"),
            title=input.get("title"),
            description=input.get("description"),
            role=input.get("role"),
            tags=input.get("tags"),
            **kwargs,
        )
        return cls(portfolio_item=item)


class PortfolioItemDelete(PortfolioItemMutation):
    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform(cls, root, info, id):
        return cls(
            portfolio_item=portfolio.delete_portfolio_item(
                actor=current_user(info), item_id=decode_id(id, "PortfolioItem")
            )
        )


class PortfolioItemReorder(PortfolioMutation):
    """Set the order of the whole portfolio: every item of the designer, first shown first."""

    portfolio_items = graphene.List(graphene.NonNull(PortfolioItemType), required=True)

    class Arguments:
        item_ids = graphene.List(graphene.NonNull(graphene.ID), required=True)

    @classmethod
    def perform(cls, root, info, item_ids):
        items = portfolio.reorder_portfolio_items(
            actor=current_user(info), item_ids=decode_ids(item_ids, "PortfolioItem", field="item_ids")
        )
        return cls(portfolio_items=items)

    @classmethod
    def mutate(cls, root, info, **kwargs):
        payload = super().mutate(root, info, **kwargs)
        if payload.portfolio_items is None:
            payload.portfolio_items = []
        return payload


PortfolioImageCreate, PortfolioImageReorder, PortfolioImageDelete = ordered_image_mutations(
    prefix="PortfolioImage",
    base=PortfolioMutation,
    image_node="PortfolioImage",
    image_type=PortfolioImageType,
    image_payload="image",
    owner_node="PortfolioItem",
    owner_type=PortfolioItemType,
    owner_payload="portfolio_item",
    owner_argument="item_id",
    ids_argument="image_ids",
    deleted_argument="image_id",
    add=portfolio.add_portfolio_image,
    reorder=portfolio.reorder_portfolio_images,
    delete=portfolio.delete_portfolio_image,
    create_description="Upload an image to a portfolio item (GraphQL multipart request; same rules as product images).",
)


class PortfolioMutations(graphene.ObjectType):
    portfolio_item_create = PortfolioItemCreate.Field()
    portfolio_item_update = PortfolioItemUpdate.Field()
    portfolio_item_delete = PortfolioItemDelete.Field()
    portfolio_item_reorder = PortfolioItemReorder.Field()
    portfolio_image_create = PortfolioImageCreate.Field()
    portfolio_image_reorder = PortfolioImageReorder.Field()
    portfolio_image_delete = PortfolioImageDelete.Field()
