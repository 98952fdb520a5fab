"""Assessments: two tenant-checking foreign keys instead of three plain ones.

On PostgreSQL, (run_id, tenant_id) must be a run of that tenant and (customer_id,
tenant_id) a customer of that tenant. That is stronger than the plain keys it replaces,
and the scoring run's insert of a row per customer checks two keys per row instead of
three. SQLite cannot add constraints to a table; there Django's own checks stand.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


KEYS = [
    ("assessment_run_same_tenant", "run_id", "customers_scoringrun"),
    ("assessment_customer_same_tenant", "customer_id", "customers_customer"),
]


def add_tenant_keys(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column, target in KEYS:
        schema_editor.execute(
            f"ALTER TABLE customers_tierassessment ADD CONSTRAINT {name} "
            f"FOREIGN KEY ({column}, tenant_id) REFERENCES {target} (id, tenant_id) "
            "DEFERRABLE INITIALLY DEFERRED")


def drop_tenant_keys(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _column, _target in KEYS:
        schema_editor.execute(f"ALTER TABLE customers_tierassessment DROP CONSTRAINT {name}")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('customers', '0004_run_cut_and_retention'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='tierassessment',
            name='customer',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='assessments', to='customers.customer'),
        ),
        migrations.AlterField(
            model_name='tierassessment',
            name='run',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='assessments', to='customers.scoringrun'),
        ),
        migrations.AlterField(
            model_name='tierassessment',
            name='tenant',
            field=models.ForeignKey(db_constraint=False, db_index=False, editable=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.tenant'),
        ),
        migrations.AddConstraint(
            model_name='customer',
            constraint=models.UniqueConstraint(fields=('id', 'tenant'), name='customer_id_tenant'),
        ),
        migrations.AddConstraint(
            model_name='scoringrun',
            constraint=models.UniqueConstraint(fields=('id', 'tenant'), name='scoringrun_id_tenant'),
        ),
        migrations.RunPython(add_tenant_keys, drop_tenant_keys),
    ]
