from django.contrib import admin

from shop.checkout.models import Checkout, CheckoutLine, ShippingMethod


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "designer",
        "price_amount",
        "free_above_amount",
        "currency",
        "min_days",
        "max_days",
        "is_active",
    ]
    list_filter = ["is_active", "currency"]
    search_fields = ["name", "designer__display_name"]


class CheckoutLineInline(admin.TabularInline):
    model = CheckoutLine
    extra = 0
    raw_id_fields = ["variant"]


@admin.register(Checkout)
class CheckoutAdmin(admin.ModelAdmin):
    list_display = ["token", "user", "email", "currency", "created_at", "completed_at"]
    search_fields = ["email", "token"]
    inlines = [CheckoutLineInline]
    raw_id_fields = ["user"]
