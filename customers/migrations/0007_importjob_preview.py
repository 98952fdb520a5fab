from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0006_scoring_window_coverage"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="preview",
            field=models.JSONField(blank=True, default=dict, verbose_name="preview"),
        ),
    ]
