"""Admin pieces shared by the apps."""


class ReadOnlyMixin:
    """For admin classes of records that change only through services (and webhooks): staff see
    them, nobody adds, edits or deletes them here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
