"""`migrate` as the owner of the tables and across tenants (kam.db_roles): migrations
change the schema, which the application's role may not, and their data steps and what
runs after them (tenant keys, row security, the application role's grants) reach every
tenant's rows."""

from django.core.management.commands import migrate

from kam.db_roles import as_owner
from kam.tenancy import cross_tenant


class Command(migrate.Command):
    def handle(self, *args, **options):
        with as_owner(options["database"]), cross_tenant():
            return super().handle(*args, **options)
