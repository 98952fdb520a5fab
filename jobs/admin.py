"""Platform admin (staff only): the outbox, which is not tenant data. Job runs are shown to
each workspace's administrators in the application (/jobs/)."""

from django.contrib import admin

from .models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "task_name", "tenant", "created_at", "sent_at", "attempts"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["task_id", "task_name", "kwargs", "tenant", "created_at", "sent_at",
                       "attempts", "last_attempt_at", "last_error"]

    def has_add_permission(self, request):
        return False
