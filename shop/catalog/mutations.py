"""Thin catalog mutations: decode IDs, call a service (which checks ownership), return the payload.

IDs of objects outside the caller's reach are answered ``NOT_FOUND`` exactly like unknown IDs
(see shop/catalog/services/access.py)."""

import graphene

from shop.catalog.services import access, categories, media, products, variants
from shop.catalog.types import (
    CatalogErrorCode,
    CategoryType,
    ProductMediaType,
    ProductNode,
    ProductTypeEnum,
    ProductVariantType,
)
from shop.core.graphql import RoleCheckedMutation, current_user, enum_value, error_type
from shop.core.ids import decode_id, optional_id
from shop.core.image_mutations import ordered_image_mutations
from shop.core.scalars import DecimalScalar, Upload

CatalogError = error_type("CatalogError", CatalogErrorCode)


class CatalogMutation(RoleCheckedMutation):
    """Signed in; a designer or staff, or staff for staff-only mutations."""

    class Meta:
        abstract = True

    error_codes = CatalogErrorCode
    errors = graphene.List(graphene.NonNull(CatalogError), required=True)
    staff_only = False

    @classmethod
    def check_role(cls, user) -> None:
        if cls.staff_only:
            access.check_staff(user)
        else:
            access.check_catalog_role(user)


# --- products ------------------------------------------------------------------------------------


class ProductMutation(CatalogMutation):
    class Meta:
        abstract = True

    product = graphene.Field(ProductNode)


class ProductCreateInput(graphene.InputObjectType):
    name = graphene.String(required=True)
    slug = graphene.String(description="Derived from the name when omitted (Vietnamese-aware).")
    description = graphene.String(description="Rich text (HTML); sanitised to a small set of tags.")
    category = graphene.ID()
    tags = graphene.List(graphene.NonNull(graphene.String))
    product_type = graphene.InputField(ProductTypeEnum, description="PHYSICAL by default.")
    currency = graphene.String(description="ISO 4217; the default currency (VND) when omitted.")
    designer = graphene.ID(description="Staff only: the designer the product belongs to.")


class ProductCreate(ProductMutation):
    """Create a DRAFT product of the caller's designer profile."""

    class Arguments:
        input = ProductCreateInput(required=True)

    @classmethod
    def perform(cls, root, info, input):
        product = products.create_product(
            actor=current_user(info),
            name=input.get("name"),
            slug=input.get("slug"),
            description=input.get("description"),
            category_id=optional_id(input, "category", "Category"),
            tags=input.get("tags"),
            product_type=enum_value(input.get("product_type")),
            currency=input.get("currency"),
            designer_id=optional_id(input, "designer", "Designer"),
        )
        return cls(product=product)


class ProductUpdateInput(graphene.InputObjectType):
    name = graphene.String()
    slug = graphene.String()
    description = graphene.String()
    category = graphene.ID(description="`null` removes the category.")
    tags = graphene.List(graphene.NonNull(graphene.String))
    product_type = graphene.InputField(ProductTypeEnum, description="Only while the product has no variants.")
    currency = graphene.String(description="Only while the product has no variants.")


class ProductUpdate(ProductMutation):
    class Arguments:
        id = graphene.ID(required=True)
        input = ProductUpdateInput(required=True)

    @classmethod
    def perform(cls, root, info, id, input):
        kwargs = {}
        if "category" in input:
            kwargs["category_id"] = optional_id(input, "category", "Category")
        product = products.update_product(
            actor=current_user(info),
            product_id=decode_id(id, "Product"),
            name=input.get("name"),
            slug=input.get("slug"),
            description=input.get("description"),
            tags=input.get("tags"),
            product_type=enum_value(input.get("product_type")),
            currency=input.get("currency"),
            **kwargs,
        )
        return cls(product=product)


def _product_action(name: str, service, doc: str):
    def perform(cls, root, info, id):
        return cls(product=service(actor=current_user(info), product_id=decode_id(id, "Product")))

    return type(
        name,
        (ProductMutation,),
        {
            "__doc__": doc,
            "__module__": __name__,
            "Arguments": type("Arguments", (), {"id": graphene.ID(required=True)}),
            "perform": classmethod(perform),
        },
    )


ProductDelete = _product_action(
    "ProductDelete",
    products.delete_product,
    "Delete a product with its variants and images (not once it has orders: archive it).",
)
ProductPublish = _product_action(
    "ProductPublish",
    products.publish_product,
    "Put a product on the storefront (approved designers; at least one variant).",
)
ProductUnpublish = _product_action(
    "ProductUnpublish", products.unpublish_product, "Take a product off the storefront (back to DRAFT)."
)
ProductArchive = _product_action(
    "ProductArchive", products.archive_product, "Retire a product (ARCHIVED); it can be published again."
)


class ProductModerateInput(graphene.InputObjectType):
    hidden = graphene.Boolean(required=True)
    reason = graphene.String(description="Required to hide; the designer sees it.")


class ProductModerate(ProductMutation):
    """Staff: hide a listing from the storefront with a reason, or show it again."""

    staff_only = True

    class Arguments:
        id = graphene.ID(required=True)
        input = ProductModerateInput(required=True)

    @classmethod
    def perform(cls, root, info, id, input):
        product = products.moderate_product(
            actor=current_user(info),
            product_id=decode_id(id, "Product"),
            hidden=input["hidden"],
            reason=input.get("reason"),
        )
        return cls(product=product)


# --- variants ------------------------------------------------------------------------------------


class VariantAttributeInput(graphene.InputObjectType):
    name = graphene.String(required=True, description="e.g. Kích cỡ, Màu, Chất liệu")
    value = graphene.String(required=True)


class ProductVariantCreateInput(graphene.InputObjectType):
    sku = graphene.String(required=True, description="Unique among the designer's variants.")
    name = graphene.String()
    attributes = graphene.List(graphene.NonNull(VariantAttributeInput))
    price = DecimalScalar(required=True, description="In the product's currency; VND has no decimals.")
    stock_quantity = graphene.Int(description="Physical goods only (default 0).")
    digital_file = Upload(
        description="Digital goods: PDF, ZIP, PNG, JPEG, WebP, TTF, OTF, WOFF or WOFF2, up to 50 MB; kept private."
    )


class ProductVariantUpdateInput(graphene.InputObjectType):
    sku = graphene.String()
    name = graphene.String()
    attributes = graphene.List(graphene.NonNull(VariantAttributeInput))
    price = DecimalScalar()
    stock_quantity = graphene.Int()
    digital_file = Upload(description="Replaces the file.")


class VariantMutation(CatalogMutation):
    class Meta:
        abstract = True

    product_variant = graphene.Field(ProductVariantType)
    product = graphene.Field(ProductNode)


def _variant_fields(input) -> dict:
    """The service arguments of a variant input (absent fields are None: unchanged on update)."""
    attributes = input.get("attributes")
    return {
        "sku": input.get("sku"),
        "price": input.get("price"),
        "name": input.get("name"),
        "attributes": None
        if attributes is None
        else [{"name": a.get("name"), "value": a.get("value")} for a in attributes],
        "stock_quantity": input.get("stock_quantity"),
        "digital_file": input.get("digital_file"),
    }


class ProductVariantCreate(VariantMutation):
    class Arguments:
        product_id = graphene.ID(required=True)
        input = ProductVariantCreateInput(required=True)

    @classmethod
    def perform(cls, root, info, product_id, input):
        variant = variants.create_variant(
            actor=current_user(info),
            product_id=decode_id(product_id, "Product", field="product_id"),
            **_variant_fields(input),
        )
        return cls(product_variant=variant, product=variant.product)


class ProductVariantUpdate(VariantMutation):
    class Arguments:
        id = graphene.ID(required=True)
        input = ProductVariantUpdateInput(required=True)

    @classmethod
    def perform(cls, root, info, id, input):
        variant = variants.update_variant(
            actor=current_user(info),
            variant_id=decode_id(id, "ProductVariant"),
            **_variant_fields(input),
        )
        return cls(product_variant=variant, product=variant.product)


class ProductVariantDelete(VariantMutation):
    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform(cls, root, info, id):
        variant, product = variants.delete_variant(actor=current_user(info), variant_id=decode_id(id, "ProductVariant"))
        return cls(product_variant=variant, product=product)


# --- media ---------------------------------------------------------------------------------------


ProductMediaCreate, ProductMediaReorder, ProductMediaDelete = ordered_image_mutations(
    prefix="ProductMedia",
    base=CatalogMutation,
    image_node="ProductMedia",
    image_type=ProductMediaType,
    image_payload="media",
    owner_node="Product",
    owner_type=ProductNode,
    owner_payload="product",
    owner_argument="product_id",
    ids_argument="media_ids",
    deleted_argument="media_id",
    add=media.add_product_media,
    reorder=media.reorder_product_media,
    delete=media.delete_product_media,
    create_description="""Upload an image (GraphQL multipart request). JPEG, PNG or WebP, up to 10 MB and 40 megapixels;
    it is re-encoded (metadata such as GPS removed) and thumbnails follow in the background.""",
    reorder_description="Set the order of a product's images: list every one of them, first image first.",
)


# --- categories (staff) --------------------------------------------------------------------------


class CategoryMutation(CatalogMutation):
    class Meta:
        abstract = True

    category = graphene.Field(CategoryType)
    staff_only = True


class CategoryCreateInput(graphene.InputObjectType):
    name = graphene.String(required=True)
    slug = graphene.String()
    parent = graphene.ID()
    position = graphene.Int(description="Order among its siblings; last by default.")


class CategoryUpdateInput(graphene.InputObjectType):
    name = graphene.String()
    slug = graphene.String()
    parent = graphene.ID(description="`null` makes it a root category.")
    position = graphene.Int()


class CategoryCreate(CategoryMutation):
    """Staff: add a category (at most 4 levels deep)."""

    class Arguments:
        input = CategoryCreateInput(required=True)

    @classmethod
    def perform(cls, root, info, input):
        category = categories.create_category(
            actor=current_user(info),
            name=input.get("name"),
            slug=input.get("slug"),
            parent_id=optional_id(input, "parent", "Category"),
            position=input.get("position"),
        )
        return cls(category=category)


class CategoryUpdate(CategoryMutation):
    """Staff: rename, move or reorder a category."""

    class Arguments:
        id = graphene.ID(required=True)
        input = CategoryUpdateInput(required=True)

    @classmethod
    def perform(cls, root, info, id, input):
        kwargs = {}
        if "parent" in input:
            kwargs["parent_id"] = optional_id(input, "parent", "Category")
        category = categories.update_category(
            actor=current_user(info),
            category_id=decode_id(id, "Category"),
            name=input.get("name"),
            slug=input.get("slug"),
            position=input.get("position"),
            **kwargs,
        )
        return cls(category=category)


class CategoryDelete(CategoryMutation):
    """Staff: delete a category without subcategories (its products stay, uncategorised)."""

    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform(cls, root, info, id):
        return cls(category=categories.delete_category(actor=current_user(info), category_id=decode_id(id, "Category")))


class CatalogMutations(graphene.ObjectType):
    product_create = ProductCreate.Field()
    product_update = ProductUpdate.Field()
    product_delete = ProductDelete.Field()
    product_publish = ProductPublish.Field()
    product_unpublish = ProductUnpublish.Field()
    product_archive = ProductArchive.Field()
    product_moderate = ProductModerate.Field()
    product_variant_create = ProductVariantCreate.Field()
    product_variant_update = ProductVariantUpdate.Field()
    product_variant_delete = ProductVariantDelete.Field()
    product_media_create = ProductMediaCreate.Field()
    product_media_reorder = ProductMediaReorder.Field()
    product_media_delete = ProductMediaDelete.Field()
    category_create = CategoryCreate.Field()
    category_update = CategoryUpdate.Field()
    category_delete = CategoryDelete.Field()
