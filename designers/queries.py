import graphene
from django.utils.translation import gettext as _

from designers import selectors
from designers.types import DesignerConnection, DesignerStatusEnum, DesignerType
from shop.core.graphql import current_user, permission_denied
from shop.core.ids import resolve_node
from shop.core.pagination import connection_args, paginate


class DesignerFilterInput(graphene.InputObjectType):
    search = graphene.String()
    city = graphene.String()
    status = graphene.Field(DesignerStatusEnum, description="Staff only.")


class DesignerQueries(graphene.ObjectType):
    designers = graphene.Field(
        graphene.NonNull(DesignerConnection),
        filter=DesignerFilterInput(),
        description="Approved designers (staff may filter by any status).",
        **connection_args(),
    )
    designer = graphene.Field(DesignerType, slug=graphene.String(), id=graphene.ID())
    my_designer = graphene.Field(DesignerType, description="The caller's own designer profile, whatever its status.")

    def resolve_designers(root, info, filter=None, **page):
        user = current_user(info)
        filter = filter or {}
        status = filter.get("status")
        if status is not None and not (user and user.is_staff):
            raise permission_denied(_("Only staff can filter designers by status."))
        qs = selectors.designer_list(
            user,
            search=filter.get("search"),
            city=filter.get("city"),
            status=status.value if hasattr(status, "value") else status,
        )
        return paginate(qs, DesignerConnection, **page)

    def resolve_designer(root, info, slug=None, id=None):
        user = current_user(info)
        if slug:
            return selectors.designer_by_slug(user, slug)
        if id:
            return resolve_node(info, id, only_type=DesignerType)
        return None

    def resolve_my_designer(root, info):
        return selectors.designer_of(current_user(info))
