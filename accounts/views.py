from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views import i18n as i18n_views
from django.views.decorators.http import require_POST

from . import roles, services, throttling
from .forms import ApiTokenForm, LoginForm, MemberAddForm, MembershipForm, TenantSettingsForm
from .middleware import SESSION_TENANT_KEY
from .models import ApiToken, Membership
from .permissions import admin_required, tenant_required
from .selectors import user_memberships


def set_language(request):
    """Django's language switch, and for a logged-in user the choice saved on their
    account, so that it follows them to other browsers (accounts.middleware)."""
    response = i18n_views.set_language(request)
    language = request.POST.get("language")
    if (request.method == "POST" and request.user.is_authenticated
            and language in dict(settings.LANGUAGES)):
        services.set_user_language(request.user, language=language)
    return response


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        # An address that failed too often is refused whatever the username (axes holds
        # each username itself); the backend refuses it too, this says why.
        if throttling.address_locked(request):
            return render(request, settings.AXES_LOCKOUT_TEMPLATE, {"by_address": True},
                          status=429)
        return super().post(request, *args, **kwargs)


class PasswordChangeView(auth_views.PasswordChangeView):
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        messages.success(self.request, _("Your password has been changed."))
        return super().form_valid(form)


@require_POST
def switch_tenant(request):
    if not request.user.is_authenticated:
        return redirect("login")
    try:
        tenant_id = int(request.POST.get("tenant", ""))
    except ValueError:
        tenant_id = None
    membership = next((m for m in user_memberships(request.user) if m.tenant_id == tenant_id),
                      None)
    if membership is None:
        messages.error(request, _("You are not a member of that workspace."))
    else:
        request.session[SESSION_TENANT_KEY] = membership.tenant_id
        messages.success(request, _("Switched to %(name)s.") % {"name": membership.tenant.name})
    # Object pages of the old workspace would be 404 in the new one: go home.
    return redirect("home")


@admin_required
def tenant_settings(request):
    form = TenantSettingsForm(request.POST or None, instance=request.tenant)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Workspace settings saved."))
        return redirect("tenant_settings")
    return render(request, "accounts/tenant_settings.html", {"form": form})


@admin_required
def member_list(request):
    members = Membership.objects.select_related("user").order_by("-is_active", "user__email")
    query = request.GET.get("q", "").strip()
    if query:
        members = members.filter(user__email__icontains=query) | members.filter(
            user__full_name__icontains=query
        )
    role = request.GET.get("role")
    if role:
        members = members.filter(role=role)
    page = Paginator(members, 25).get_page(request.GET.get("page"))
    return render(request, "accounts/member_list.html", {
        "page": page, "query": query, "role": role, "add_form": MemberAddForm(),
        "roles": Membership._meta.get_field("role").choices,
    })


@admin_required
def member_add(request):
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership, created_user = services.add_member(
                tenant=request.tenant, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if created_user:
                messages.success(request, _(
                    "%(email)s was added. They set their password with "
                    "“Forgot your password?” on the login page."
                ) % {"email": membership.user.email})
            else:
                messages.success(
                    request, _("%(email)s was added.") % {"email": membership.user.email})
            return redirect("member_list")
    return render(request, "accounts/member_add.html", {"form": form})


@admin_required
def member_edit(request, pk):
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk)
    form = MembershipForm(request.POST or None,
                          initial={"role": membership.role, "is_active": membership.is_active})
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["role"] != membership.role:
                services.change_role(membership, role=form.cleaned_data["role"])
            if not form.cleaned_data["is_active"] and membership.is_active:
                services.deactivate_member(membership)
            elif form.cleaned_data["is_active"] and not membership.is_active:
                membership.is_active = True
                membership.save(update_fields=["is_active"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Membership updated."))
            return redirect("member_list")
    return render(request, "accounts/member_edit.html", {"form": form, "membership": membership})


@tenant_required()
def token_list(request):
    """A user's own API tokens; admins see the whole workspace's."""
    tokens = ApiToken.objects.select_related("user")
    if not roles.allows(request.role, "manage_workspace"):
        tokens = tokens.filter(user=request.user)
    form = ApiTokenForm(request.POST or None, owner_role=request.role)
    raw_token = None
    if request.method == "POST" and form.is_valid():
        try:
            token, raw_token = services.create_api_token(
                tenant=request.tenant, user=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Token created. Copy it now: it is shown only once."))
            form = ApiTokenForm(owner_role=request.role)
    page = Paginator(tokens, 25).get_page(request.GET.get("page"))
    return render(request, "accounts/token_list.html", {
        "page": page, "form": form, "raw_token": raw_token,
    })


@require_POST
@tenant_required()
def token_revoke(request, pk):
    tokens = ApiToken.objects.all()
    if not roles.allows(request.role, "manage_workspace"):
        tokens = tokens.filter(user=request.user)
    token = get_object_or_404(tokens, pk=pk)
    services.revoke_api_token(token)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("token_list")


def _add_errors(form, exc):
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)
