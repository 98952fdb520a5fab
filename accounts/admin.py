"""Platform admin (staff only): tenants and users. Tenant data is managed inside the
application, where every page is scoped to the workspace."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from kam.tenancy import cross_tenant

from .models import Tenant, User


class CrossTenantAdmin(admin.ModelAdmin):
    """Deleting a tenant or a user reaches the rows of every tenant that point at it (to
    list them on the confirmation page and delete or unlink them), which the tenant wall
    hides outside cross_tenant(): the delete pages and the list's delete action cross."""

    def delete_view(self, *args, **kwargs):
        with cross_tenant():
            return super().delete_view(*args, **kwargs)

    def changelist_view(self, *args, **kwargs):
        with cross_tenant():
            return super().changelist_view(*args, **kwargs)


@admin.register(Tenant)
class TenantAdmin(CrossTenantAdmin):
    list_display = ["name", "slug", "timezone", "currency", "is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(User)
class UserAdmin(CrossTenantAdmin, BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["full_name", "language"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
