"""Read-only catalog views for staff, plus moderation actions through the services (writes that
keep search documents, prices and files consistent happen through the API and its services)."""

from django.contrib import admin, messages

from shop.catalog.models import Category, Product, ProductMedia, ProductVariant
from shop.catalog.services import products
from shop.core.admin import ReadOnlyMixin
from shop.core.errors import PermissionDenied, ServiceError


class VariantInline(ReadOnlyMixin, admin.TabularInline):
    model = ProductVariant
    fields = ("sku", "name", "price_amount", "currency", "stock_quantity", "digital_file_name", "digital_file_size")
    readonly_fields = fields
    extra = 0


class MediaInline(ReadOnlyMixin, admin.TabularInline):
    model = ProductMedia
    fields = ("image", "alt", "width", "height", "position")
    readonly_fields = fields
    extra = 0


def _moderate(hidden: bool, label: str, reason: str):
    def action(modeladmin, request, queryset):
        done = 0
        for product in queryset:
            try:
                products.moderate_product(actor=request.user, product_id=product.pk, hidden=hidden, reason=reason)
                done += 1
            except (ServiceError, PermissionDenied) as exc:
                modeladmin.message_user(request, f"{product.name}: {exc}", messages.WARNING)
        if done:
            modeladmin.message_user(request, f"{label}: {done}", messages.SUCCESS)

    action.__name__ = "hide_selected" if hidden else "show_selected"
    action.short_description = label
    return action


@admin.register(Product)
class ProductAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("name", "designer", "status", "product_type", "min_price", "hidden_at", "created_at")
    list_filter = ("status", "product_type", ("hidden_at", admin.EmptyFieldListFilter), "designer__status")
    search_fields = ("name", "slug", "designer__display_name")
    list_select_related = ("designer",)
    inlines = [VariantInline, MediaInline]
    actions = [
        _moderate(True, "Hide selected listings", "Hidden by staff in the admin."),
        _moderate(False, "Show selected listings again", ""),
    ]


@admin.register(Category)
class CategoryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "parent", "position")
    search_fields = ("name", "slug")
