from django.contrib import admin

from shop.orders.models import DigitalDownload, Order, OrderEvent, OrderLine, Purchase


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in OrderLine._meta.fields]


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    readonly_fields = ["type", "actor", "data", "created_at"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Read-only: every change goes through the services (GraphQL), which keep events and stock right."""

    list_display = ["number", "designer", "status", "total_amount", "currency", "created_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["number", "purchase__email", "designer__display_name"]
    inlines = [OrderLineInline, OrderEventInline]
    list_select_related = ["designer"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Purchase)
class PurchaseAdmin(admin.ModelAdmin):
    list_display = ["id", "email", "status", "total_amount", "currency", "gateway", "created_at", "expires_at"]
    list_filter = ["status", "gateway"]
    search_fields = ["email", "token"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DigitalDownload)
class DigitalDownloadAdmin(admin.ModelAdmin):
    list_display = ["line", "expires_at", "download_count", "max_downloads"]
    exclude = ["token"]

    def has_change_permission(self, request, obj=None):
        return False
