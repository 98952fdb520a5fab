# The import pipeline's kinds are registered by the apps (kam.imports.kinds), so a job's
# kind has no fixed choices any more; a kind's options (the survey campaign) live on the job.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0009_contact_language'),
    ]

    operations = [
        migrations.AddField(
            model_name='importjob',
            name='options',
            field=models.JSONField(blank=True, default=dict, verbose_name='options'),
        ),
        migrations.AlterField(
            model_name='importjob',
            name='kind',
            field=models.CharField(max_length=20, verbose_name='kind'),
        ),
    ]
