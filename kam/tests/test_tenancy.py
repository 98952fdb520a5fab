"""Tenant scoping fails closed (kam.tenancy): no tenant, no rows; one tenant, its rows only."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path

from accounts.models import Membership, User
from kam.tenancy import (
    TenantNotSet,
    TenantOwnedModel,
    cross_tenant,
    get_current_tenant,
    tenant_context,
)
from notifications.models import Notification
from tests.factories import MembershipFactory, NotificationFactory, UserFactory
from tests.test_isolation import factory_for, tenant_owned_models

# Built at import time, when no tenant exists, like a form field or a serializer's queryset.
NOTIFICATIONS_BY_TEXT = Notification.objects.order_by("text")


class MembershipChoiceForm(forms.Form):
    membership = forms.ModelChoiceField(queryset=Membership.objects.all())


@pytest.fixture
def rows(tenant, other_tenant):
    """One person, member of both tenants with notifications in each; one more member
    of beta."""
    person = UserFactory(email="both@example.com")
    alpha_member = MembershipFactory(tenant=tenant, user=person)
    beta_person = MembershipFactory(tenant=other_tenant, user=person)
    return {
        "person": person,
        "alpha_member": alpha_member,
        "beta_members": [beta_person, MembershipFactory(tenant=other_tenant)],
        "alpha": [
            NotificationFactory(tenant=tenant, recipient=person, text="alpha one"),
            NotificationFactory(tenant=tenant, recipient=person, text="alpha two"),
        ],
        "beta": [NotificationFactory(tenant=other_tenant, recipient=person, text="beta one")],
    }


def all_texts():
    with cross_tenant():
        return sorted(Notification.objects.values_list("text", flat=True))


# --- no tenant: every kind of query raises ----------------------------------------------

NO_TENANT_QUERIES = {
    "iterate": lambda rows: list(Notification.objects.all()),
    "get": lambda rows: Notification.objects.get(pk=rows["alpha"][0].pk),
    "first": lambda rows: Notification.objects.first(),
    "count": lambda rows: Notification.objects.count(),
    "exists": lambda rows: Membership.objects.filter(role="manager").exists(),
    "values_list": lambda rows: list(Membership.objects.values_list("role", flat=True)),
    "aggregate": lambda rows: Notification.objects.aggregate(n=Count("id")),
    "aggregate over a slice": lambda rows: Notification.objects.all()[:5].aggregate(Max("id")),
    "count of distinct": lambda rows: Notification.objects.values("kind").distinct().count(),
    "update": lambda rows: Notification.objects.update(text="changed"),
    "filtered update": lambda rows: Notification.objects.filter(kind="reminder").update(
        text="changed"
    ),
    "delete": lambda rows: Notification.objects.all().delete(),
    "filtered delete": lambda rows: Membership.objects.filter(role="manager").delete(),
    "bulk_update": lambda rows: Notification.objects.bulk_update(
        [Notification(pk=rows["alpha"][0].pk, text="changed")], ["text"]
    ),
    "subquery with __in": lambda rows: list(
        User.objects.filter(pk__in=Membership.objects.values("user"))
    ),
    "Exists subquery": lambda rows: list(
        User.objects.filter(Exists(Membership.objects.filter(user=OuterRef("pk"))))
    ),
    "reverse relation": lambda rows: rows["person"].notifications.count(),
    "prefetch": lambda rows: list(User.objects.prefetch_related("memberships")),
}


@pytest.mark.parametrize("query", NO_TENANT_QUERIES.values(), ids=NO_TENANT_QUERIES.keys())
def test_query_without_a_tenant_raises(rows, query):
    assert get_current_tenant() is None

    with pytest.raises(TenantNotSet), transaction.atomic():  # bulk_update needs a savepoint
        query(rows)

    assert all_texts() == ["alpha one", "alpha two", "beta one"]  # nothing was changed


def test_saving_a_new_row_without_any_tenant_raises(rows):
    notification = Notification(recipient=rows["person"], kind="k", text="t", dedup_key="d")

    with pytest.raises(TenantNotSet):
        notification.save()
    with pytest.raises(TenantNotSet):
        Notification.objects.bulk_create([notification])


# --- inside a tenant: its rows only --------------------------------------------------------


def test_queries_inside_a_tenant_see_only_its_rows(rows, tenant):
    beta_notification = rows["beta"][0]
    with tenant_context(tenant):
        assert sorted(n.text for n in Notification.objects.all()) == ["alpha one", "alpha two"]
        assert Notification.objects.count() == 2
        assert Notification.objects.aggregate(n=Count("id"))["n"] == 2
        assert Notification.objects.all()[:5].count() == 2
        assert not Notification.objects.filter(text="beta one").exists()
        with pytest.raises(Notification.DoesNotExist):
            Notification.objects.get(pk=beta_notification.pk)
        assert rows["person"].notifications.count() == 2
        members = User.objects.filter(pk__in=Membership.objects.values("user"))
        assert list(members) == [rows["person"]]
        with_membership = User.objects.filter(
            Exists(Membership.objects.filter(user=OuterRef("pk")))
        )
        assert list(with_membership) == [rows["person"]]
        prefetched = User.objects.prefetch_related("memberships").get(pk=rows["person"].pk)
        assert [m.tenant_id for m in prefetched.memberships.all()] == [tenant.pk]


def test_queryset_built_without_a_tenant_is_scoped_where_it_is_evaluated(
    rows, tenant, other_tenant
):
    queryset = Notification.objects.all()  # not evaluated yet
    with tenant_context(tenant):
        assert [n.text for n in NOTIFICATIONS_BY_TEXT.all()] == ["alpha one", "alpha two"]
        assert queryset.count() == 2
    with tenant_context(other_tenant):
        assert [n.text for n in NOTIFICATIONS_BY_TEXT.all()] == ["beta one"]
        # The same queryset compiled again takes the new tenant; filters do not pile up.
        assert queryset.count() == 1


def test_form_declared_at_import_offers_and_accepts_only_the_tenants_rows(rows, tenant):
    with tenant_context(tenant):
        form = MembershipChoiceForm()
        offered = [value for value, _ in form.fields["membership"].choices if value]
        assert [int(str(value)) for value in offered] == [rows["alpha_member"].pk]

        assert MembershipChoiceForm({"membership": rows["alpha_member"].pk}).is_valid()
        foreign = MembershipChoiceForm({"membership": rows["beta_members"][1].pk})
        assert not foreign.is_valid()
        assert "membership" in foreign.errors


def test_cross_tenant_lifts_the_filter_for_its_block_only(rows, tenant):
    with cross_tenant():
        assert Notification.objects.count() == 3  # no tenant needed
    with tenant_context(tenant):
        with cross_tenant():
            assert Notification.objects.count() == 3
        assert Notification.objects.count() == 2
    with pytest.raises(TenantNotSet):
        Notification.objects.count()


def test_update_and_delete_inside_a_tenant_never_touch_another_tenants_rows(rows, tenant):
    beta_notification = rows["beta"][0]
    with tenant_context(tenant):
        assert Notification.objects.filter(pk=beta_notification.pk).update(text="hacked") == 0
        assert Notification.objects.bulk_update(
            [Notification(pk=beta_notification.pk, text="hacked")], ["text"]
        ) == 0
        assert Notification.objects.update(text="changed") == 2
        assert Notification.objects.filter(pk=beta_notification.pk).delete()[0] == 0
        Notification.objects.all().delete()
        Membership.objects.all().delete()

    assert all_texts() == ["beta one"]
    with cross_tenant():
        assert sorted(Membership.objects.values_list("pk", flat=True)) == sorted(
            m.pk for m in rows["beta_members"]
        )


def test_saving_another_tenants_row_raises(rows, tenant, other_tenant):
    beta_notification = rows["beta"][0]
    with tenant_context(tenant):
        beta_notification.text = "hacked"
        with pytest.raises(TenantNotSet):
            beta_notification.save()
        with pytest.raises(TenantNotSet):
            Notification.objects.create(
                tenant=other_tenant, recipient=rows["person"], kind="k", text="new",
                dedup_key="new",
            )
        with pytest.raises(TenantNotSet):
            Notification.objects.bulk_create([Notification(
                tenant=other_tenant, recipient=rows["person"], kind="k", text="new",
                dedup_key="new",
            )])

    assert all_texts() == ["alpha one", "alpha two", "beta one"]


def test_a_new_row_takes_the_current_tenant(rows, tenant):
    person = rows["person"]
    with tenant_context(tenant):
        saved = Notification(recipient=person, kind="k", text="saved", dedup_key="saved")
        saved.full_clean()
        saved.save()
        created = Notification.objects.create(
            recipient=person, kind="k", text="created", dedup_key="created"
        )
        Notification.objects.bulk_create(
            [Notification(recipient=person, kind="k", text="bulk", dedup_key="bulk")]
        )

        assert saved.tenant == created.tenant == tenant
        assert Notification.objects.filter(text__in=["saved", "created", "bulk"]).count() == 3


def _links_that_must_stay_in_the_tenant():
    """Foreign keys to tenant-owned rows, and to users where users must be members."""
    return [
        pytest.param(model, f.name, id=f"{model._meta.label}.{f.name}")
        for model in tenant_owned_models()
        for f in model._meta.concrete_fields
        if f.is_relation and f.name != "tenant" and (
            issubclass(f.related_model, TenantOwnedModel)
            or (f.related_model is User and model.users_must_be_members)
        )
    ]


@pytest.mark.parametrize("model, field_name", _links_that_must_stay_in_the_tenant())
def test_a_link_out_of_the_tenant_is_a_field_error(model, field_name, tenant, other_tenant):
    """clean_fields() and save() refuse another tenant's row, or a user who is not a member
    of the tenant, naming the field."""
    target_model = model._meta.get_field(field_name).related_model
    obj = factory_for(model)(tenant=tenant)
    if target_model is User:
        outsider = MembershipFactory(tenant=other_tenant).user
    else:
        outsider = factory_for(target_model)(tenant=other_tenant)
    others = [f.name for f in model._meta.fields if f.name != field_name]

    with tenant_context(tenant):
        setattr(obj, field_name, outsider)
        with pytest.raises(ValidationError) as cleaned:
            obj.clean_fields(exclude=others)
        with pytest.raises(ValidationError) as saved:
            obj.save()

    assert field_name in cleaned.value.message_dict
    assert field_name in saved.value.message_dict
    with cross_tenant():
        obj.refresh_from_db()
    assert getattr(obj, f"{field_name}_id") != outsider.pk


# --- requests set the tenant and always reset it ---------------------------------------


def current_tenant_view(request):
    tenant = get_current_tenant()
    return HttpResponse(tenant.slug if tenant else "no tenant")


def failing_view(request):
    raise RuntimeError("the view failed")


urlpatterns = [
    path("probe/", current_tenant_view),
    path("fail/", failing_view),
    path("", include("kam.urls")),
]


@pytest.mark.urls(__name__)
def test_request_runs_in_the_sessions_tenant_and_resets_it(client, admin_membership):
    client.force_login(admin_membership.user)

    assert client.get("/probe/").content == b"alpha"
    assert get_current_tenant() is None


@pytest.mark.urls(__name__)
def test_tenant_is_reset_when_the_view_fails(admin_membership):
    client = Client(raise_request_exception=True)
    client.force_login(admin_membership.user)

    with pytest.raises(RuntimeError):
        client.get("/fail/")
    assert get_current_tenant() is None


def test_tenant_of_an_api_token_is_reset_after_the_request(admin_api_client, other_tenant):
    assert admin_api_client.get("/api/v1/me/").json()["tenant"] == "alpha"
    assert get_current_tenant() is None

    # A request made while some tenant is current leaves that tenant in place.
    with tenant_context(other_tenant):
        assert admin_api_client.get("/api/v1/me/").status_code == 200
        assert get_current_tenant() == other_tenant
