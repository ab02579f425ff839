import graphene
from graphql_relay import from_global_id

from designers import selectors, services
from designers.types import DesignerErrorCode, DesignerType
from shop.core.errors import ServiceError
from shop.core.graphql import BaseMutation, error_type, require_staff, require_user

DesignerError = error_type("DesignerError", DesignerErrorCode)


def designer_pk(global_id: str, field: str = "id") -> int:
    """The database id inside a Designer global ID, or a NOT_FOUND payload error."""
    try:
        type_name, pk = from_global_id(global_id)
        if type_name != "Designer":
            raise ValueError
        return int(pk)
    except (ValueError, TypeError, UnicodeDecodeError):
        raise ServiceError("NOT_FOUND", "Designer not found.", field)


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
        designer = services.apply_as_designer(
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


class DesignerUpdate(DesignerMutation):
    """Edit the caller's own designer profile."""

    class Arguments:
        input = DesignerUpdateInput(required=True)

    @classmethod
    def perform(cls, root, info, input):
        user = require_user(info)
        designer = selectors.designer_of(user)
        if designer is None:
            raise ServiceError("NOT_FOUND", "You have not applied to sell yet.", None)
        designer = services.update_designer_profile(designer=designer, actor=user, **dict(input))
        return cls(designer=designer)


def _decision(name: str, needs_reason: bool, doc: str):
    arguments = {"id": graphene.ID(required=True)}
    if needs_reason:
        arguments["reason"] = graphene.String(required=True)
    else:
        arguments["reason"] = graphene.String()

    def perform(cls, root, info, id, reason=""):
        actor = require_staff(info)
        designer = services.decide(designer_id=designer_pk(id), decision=name, actor=actor, reason=reason or "")
        return cls(designer=designer)

    return type(
        f"Designer{name.capitalize()}",
        (DesignerMutation,),
        {"__doc__": doc, "Arguments": type("Arguments", (), arguments), "perform": classmethod(perform), "__module__": __name__},
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
