"""The one mutation helper of ordered images (``shop.core.models.OrderedImage``): the upload,
reorder and delete mutations of product media and portfolio images are made here, from the
owning app's base mutation (its role check and error enum), types and services.

    <Prefix>Create(<owner>Id: ID!, image: Upload!, alt: String) -> { errors <image> <owner> }
    <Prefix>Reorder(<owner>Id: ID!, <ids>: [ID!]!)            -> { errors <owner> }
    <Prefix>Delete(id: ID!)                                    -> { errors <image> <owner> }

The mutations stay thin: they decode the global IDs and call the app's services, keyword-only, with
the arguments' snake_case names (``add(actor=, <owner>_id=, image=, alt=)``, ``reorder(actor=,
<owner>_id=, <ids>=)``, ``delete(actor=, <deleted>=)``, the latter returning ``(image, owner)``).
Errors name those arguments too (``product_id``, ``media_ids``); ``BaseMutation`` gives the API its
camelCase names (``shop.core.graphql.api_field``)."""

from __future__ import annotations

from collections.abc import Callable

import graphene

from shop.core.graphql import BaseMutation, current_user
from shop.core.ids import decode_id, decode_ids
from shop.core.scalars import Upload


def ordered_image_mutations(
    *,
    prefix: str,
    base: type[BaseMutation],
    image_node: str,
    image_type,
    image_payload: str,
    owner_node: str,
    owner_type,
    owner_payload: str,
    owner_argument: str,
    ids_argument: str,
    deleted_argument: str,
    add: Callable,
    reorder: Callable,
    delete: Callable,
    create_description: str | None = None,
    reorder_description: str | None = None,
    delete_description: str | None = None,
) -> tuple[type[BaseMutation], type[BaseMutation], type[BaseMutation]]:
    """The (create, reorder, delete) mutation classes of one kind of ordered image."""

    def owner_id(kwargs) -> int:
        return decode_id(kwargs[owner_argument], owner_node, field=owner_argument)

    def perform_create(cls, root, info, image, alt=None, **kwargs):
        row = add(actor=current_user(info), **{owner_argument: owner_id(kwargs)}, image=image, alt=alt)
        return cls(**{image_payload: row, owner_payload: getattr(row, row.owner_field)})

    def perform_reorder(cls, root, info, **kwargs):
        owner = reorder(
            actor=current_user(info),
            **{owner_argument: owner_id(kwargs)},
            **{ids_argument: decode_ids(kwargs[ids_argument], image_node, field=ids_argument)},
        )
        return cls(**{owner_payload: owner})

    def perform_delete(cls, root, info, id):
        row, owner = delete(actor=current_user(info), **{deleted_argument: decode_id(id, image_node)})
        return cls(**{image_payload: row, owner_payload: owner})

    def mutation(name: str, description, arguments: dict, fields: dict, perform) -> type[BaseMutation]:
        attrs = {
            "__module__": base.__module__,
            "__doc__": description,
            "__qualname__": name,
            "Arguments": type("Arguments", (), arguments),
            "perform": classmethod(perform),
            **fields,
        }
        return type(name, (base,), attrs)

    create = mutation(
        f"{prefix}Create",
        create_description,
        {owner_argument: graphene.ID(required=True), "image": Upload(required=True), "alt": graphene.String()},
        {image_payload: graphene.Field(image_type), owner_payload: graphene.Field(owner_type)},
        perform_create,
    )
    reorder_mutation = mutation(
        f"{prefix}Reorder",
        reorder_description,
        {
            owner_argument: graphene.ID(required=True),
            ids_argument: graphene.List(graphene.NonNull(graphene.ID), required=True),
        },
        {owner_payload: graphene.Field(owner_type)},
        perform_reorder,
    )
    delete_mutation = mutation(
        f"{prefix}Delete",
        delete_description,
        {"id": graphene.ID(required=True)},
        {image_payload: graphene.Field(image_type), owner_payload: graphene.Field(owner_type)},
        perform_delete,
    )
    return create, reorder_mutation, delete_mutation
