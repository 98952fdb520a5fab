"""`flush` as the owner of the tables (kam.db_roles): emptying them (TRUNCATE) is the
owner's to do, not the application's role's. The test runner flushes this way between
tests that commit."""

from django.core.management.commands import flush

from kam.db_roles import as_owner
from kam.tenancy import cross_tenant


class Command(flush.Command):
    def handle(self, *args, **options):
        with as_owner(options["database"]), cross_tenant():
            return super().handle(*args, **options)
