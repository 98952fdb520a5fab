"""Django's PostgreSQL backend with the tenant wall's two database halves: every query
is sent with the tenant context it runs in (kam.db_rls.scope_statement), and the test
database is created, migrated and dropped by the tables' owner (kam.db_roles).

The settings make it the ENGINE whenever DATABASE_URL names a PostgreSQL database.
"""

from django.db.backends.postgresql import base, creation, operations

from kam import db_rls, db_roles


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        # The logs and the tests' captured queries show the query the code wrote.
        return db_rls.unscoped(super().last_executed_query(cursor, sql, params))


class DatabaseCreation(creation.DatabaseCreation):
    """The test runner's database: created, migrated and dropped as the owner (across
    tenants, like every migration); the tests then query it as the application's role."""

    def create_test_db(self, *args, **kwargs):
        from kam.tenancy import cross_tenant  # the models are defined once this runs

        with db_roles.as_owner(self.connection.alias), cross_tenant():
            return super().create_test_db(*args, **kwargs)

    def destroy_test_db(self, *args, **kwargs):
        with db_roles.as_owner(self.connection.alias):
            return super().destroy_test_db(*args, **kwargs)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
    creation_class = DatabaseCreation

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.execute_wrappers.append(db_rls.scope_statement)

    def chunked_cursor(self):
        # A server-side cursor sends its query in a DECLARE of its own, with no room in
        # front for the tenant: .iterator() reads through an ordinary cursor instead (the
        # driver holds the whole result; Django still builds the rows in chunks).
        return self.cursor()
