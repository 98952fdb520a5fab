from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role, Tenant, User
from accounts.services import DEFAULT_TOKEN_ROLE, create_api_token


class Command(BaseCommand):
    help = "Create an API token for a member of a tenant and print it once."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant slug")
        parser.add_argument("--email", required=True, help="the member's e-mail")
        parser.add_argument("--role", choices=Role.values, default=DEFAULT_TOKEN_ROLE,
                            help="the token's role, at most the member's (default: "
                                 f"{DEFAULT_TOKEN_ROLE}, read-only)")
        parser.add_argument("--name", default="command line", help="a name to recognise it by")

    def handle(self, *args, tenant, email, role, name, **options):
        tenant_obj = Tenant.objects.filter(slug=tenant, is_active=True).first()
        if tenant_obj is None:
            raise CommandError(f"No active tenant with slug '{tenant}'.")
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user with e-mail '{email}'.")
        try:
            token, raw = create_api_token(tenant=tenant_obj, user=user, name=name, role=role)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stderr.write(
            f"Token '{token.name}' for {user.email} in {tenant_obj.slug} with role "
            f"{token.role}. It is shown only this once:"
        )
        self.stdout.write(raw)
