from django.contrib import admin, messages

from designers.cache import designer_changed
from designers.models import Designer, DesignerStatusChange, PortfolioItem
from designers.services import profiles
from shop.core.errors import PermissionDenied, ServiceError


class StatusChangeInline(admin.TabularInline):
    model = DesignerStatusChange
    extra = 0
    can_delete = False
    fields = ("created_at", "from_status", "to_status", "reason", "actor", "email_sent_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


def _decision_action(decision: str, label: str, reason: str):
    def action(modeladmin, request, queryset):
        done = 0
        for designer in queryset:
            try:
                profiles.decide(designer_id=designer.pk, decision=decision, actor=request.user, reason=reason)
                done += 1
            except (ServiceError, PermissionDenied) as exc:
                modeladmin.message_user(request, f"{designer.display_name}: {exc}", messages.WARNING)
        if done:
            modeladmin.message_user(request, f"{label}: {done}", messages.SUCCESS)

    action.__name__ = f"{decision}_selected"
    action.short_description = label
    return action


@admin.register(Designer)
class DesignerAdmin(admin.ModelAdmin):
    list_display = ("display_name", "slug", "status", "city", "created_at")
    list_filter = ("status", "city")
    search_fields = ("display_name", "slug", "user__email")
    readonly_fields = ("status", "user", "created_at", "updated_at")
    inlines = [StatusChangeInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        designer_changed(obj.pk, listing=True)  # the storefront's cached pages show the profile

    actions = [
        _decision_action("approve", "Approve selected applications", ""),
        _decision_action("reject", "Reject selected applications", "Rejected by staff in the admin."),
        _decision_action("suspend", "Suspend selected designers", "Suspended by staff in the admin."),
        _decision_action("reinstate", "Reinstate selected designers", ""),
    ]


@admin.register(PortfolioItem)
class PortfolioItemAdmin(admin.ModelAdmin):
    list_display = ("title", "designer", "year", "position", "created_at")
    search_fields = ("title", "designer__display_name")
    list_select_related = ("designer",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
