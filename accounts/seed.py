"""Demo tenants and users for `manage.py seed_demo` (idempotent)."""

from django.db import transaction

from kam.tenancy import tenant_context

from .models import Membership, Role, Tenant, User

DEMO_PASSWORD = "kam-demo-2026"  # noqa: S105 - published demo login, see README

TENANTS = [
    {"slug": "demo", "name": "Huaxin Automotive Interiors", "timezone": "Asia/Shanghai",
     "default_language": "en", "currency": "CNY"},
    {"slug": "second", "name": "Nordlicht Seating GmbH", "timezone": "Europe/Berlin",
     "default_language": "en", "currency": "EUR"},
]

# (e-mail, full name, {tenant slug: role})
USERS = [
    ("admin@demo.example.com", "Ada Admin", {"demo": Role.ADMIN, "second": Role.VIEWER}),
    ("exec@demo.example.com", "Wei Zhang", {"demo": Role.EXECUTIVE}),
    ("kam@demo.example.com", "Li Na", {"demo": Role.MANAGER}),
    ("kam2@demo.example.com", "Marco Rossi", {"demo": Role.MANAGER}),
    ("kam3@demo.example.com", "Chen Jie", {"demo": Role.MANAGER}),
    ("member@demo.example.com", "Sun Hao", {"demo": Role.MEMBER}),
    ("engineer@demo.example.com", "Priya Nair", {"demo": Role.MEMBER}),
    ("quality@demo.example.com", "Zhou Min", {"demo": Role.MEMBER}),
    ("viewer@demo.example.com", "Vera Viewer", {"demo": Role.VIEWER}),
    ("admin@second.example.com", "Sven Admin", {"second": Role.ADMIN}),
    ("exec@second.example.com", "Eva Exec", {"second": Role.EXECUTIVE}),
    ("kam@second.example.com", "Karl Manager", {"second": Role.MANAGER}),
    ("member@second.example.com", "Mia Member", {"second": Role.MEMBER}),
    ("viewer@second.example.com", "Otto Viewer", {"second": Role.VIEWER}),
]


@transaction.atomic
def seed_tenants():
    """Create the demo tenants and users; returns {slug: tenant}."""
    tenants = {}
    for data in TENANTS:
        tenant, _ = Tenant.objects.get_or_create(slug=data["slug"], defaults=data)
        tenants[tenant.slug] = tenant
    for email, full_name, roles in USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=DEMO_PASSWORD,
                                            full_name=full_name)
        for slug, role in roles.items():
            with tenant_context(tenants[slug]):
                Membership.objects.get_or_create(user=user, defaults={"role": role})
    return tenants
