import importlib
import importlib.util

from django.apps import apps
from django.core.management.base import BaseCommand

from accounts.seed import DEMO_PASSWORD, seed_tenants
from kam.tenancy import tenant_context


class Command(BaseCommand):
    help = (
        "Create or complete the demo tenants ('demo' and 'second') and their data. "
        "Safe to run again: existing rows are kept."
    )

    def handle(self, *args, **options):
        tenants = seed_tenants()
        # Each app that has demo data offers `<app>.seed.seed(tenant)`; run them in the
        # order of INSTALLED_APPS so that customers exist before their teams and programmes.
        for app_config in apps.get_app_configs():
            module_name = f"{app_config.name}.seed"
            if app_config.name == "accounts" or importlib.util.find_spec(module_name) is None:
                continue
            module = importlib.import_module(module_name)
            for tenant in tenants.values():
                with tenant_context(tenant):
                    module.seed(tenant)
        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready: tenants {', '.join(tenants)}; "
            f"log in as admin@demo.example.com / {DEMO_PASSWORD}"
        ))
