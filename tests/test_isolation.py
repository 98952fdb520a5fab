"""The tenant isolation sweep: every URL of the project, checked without being listed here.

Two tenants, alpha and beta, get the same data: one object of every tenant-owned model
each, made by the model's factory in `tests.factories`, with ids that are unique across
models and tenants. One person is admin of both tenants, so nothing but the tenant keeps
beta's rows out of alpha's pages. The sweep walks the URL resolver (browser pages, the DRF
router, nested includes) and, acting as that admin inside alpha:

- object URLs (kwargs `pk`, `id`, `*_pk`, `*_id`): finds which model the URL serves with
  alpha's ids, then asserts that beta's ids answer 404 (and that beta's admin does reach
  them, so the 404 means something), also with one nested id swapped for beta's;
- list URLs (no kwargs): marks beta's text fields with "LEAK-BETA-…" and asserts that no
  alpha page or API list shows a marker.

A new tenant-owned model without a factory, a URL with a kwarg the sweep does not know,
or an object URL the sweep cannot reach make it fail: say what to do in the lists below.
"""

import inspect
import io
import itertools
import re
import zipfile
from dataclasses import dataclass, field

import factory
import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve, reverse

from accounts.middleware import SESSION_TENANT_KEY
from accounts.models import ApiToken, Membership
from accounts.services import create_api_token
from kam.tenancy import TenantOwnedModel, cross_tenant, tenant_context
from notifications.models import Notification
from tests import factories
from tests.factories import MembershipFactory, UserFactory

# URLs the sweep leaves alone, by path prefix. Keep each one justified.
SKIPPED_PREFIXES = {
    "/platform-admin/": "Django admin for platform staff; cross-tenant by design",
    "/static/": "static files, no data",
    "/i18n/": "language switch, no data",
    "/api/schema/": "the OpenAPI document describes the API's shape, no tenant data",
    "/api/docs/": "Swagger UI page, no data",
}

# URLs the sweep leaves alone, by URL name. Keep each one justified.
SKIPPED_NAMES = {
    "logout": "ends the sweep's session",
    "login": "anonymous page, no data",
    "password_reset": "anonymous page, no data",
    "password_reset_done": "anonymous page, no data",
    "password_reset_complete": "anonymous page, no data",
    "healthz": "ops check, no data",
    "readyz": "ops check, no data",
}

# URLs with kwargs that are not object ids (or ids of rows that are not tenant-owned), by
# URL name, and why they are safe. An unlisted URL with such a kwarg fails the sweep.
NON_OBJECT_KWARGS = {
    "password_reset_confirm": "uidb64 and token come from the reset e-mail; the view checks "
    "the token itself and shows no tenant data",
    "survey_respond": "a respondent's invitation link, no login: the secret token names its "
    "invitation and so its tenant; unknown tokens are 404 (satisfaction's tests)",
    # Natural keys: looked up in the tenant's scoped queryset like the list's ?code= filter;
    # another tenant's code or external id is a 404 on GET and a new row of this tenant on
    # PUT (customers/tests/test_natural_keys.py).
    "customer-by-code": "a customer code, looked up in the tenant's own customers",
    "programme-by-code": "a programme code, looked up in the tenant's own programmes",
    "contact-by-external-id": "an external id, looked up in the tenant's own contacts",
    "customer-figure-by-external-id": "an external id, looked up in the tenant's own figures",
}

MARKER = "LEAK-BETA-"
MAX_COMBINATIONS = 400  # kwarg/model combinations tried per URL before giving up


def is_object_kwarg(name):
    return name in {"pk", "id"} or name.endswith(("_pk", "_id"))


# --- models and factories --------------------------------------------------------------


def tenant_owned_models():
    """Every concrete tenant-owned model, in a stable order."""
    found = [
        model
        for model in apps.get_models()
        if issubclass(model, TenantOwnedModel) and not model._meta.proxy
    ]
    return sorted(found, key=lambda model: model._meta.label)


def factory_registry(module=factories):
    """{model: factory} for the DjangoModelFactory subclasses in `module`; where a model has
    several, the one named `<Model>Factory` wins."""
    registry = {}
    for _, candidate in inspect.getmembers(module, inspect.isclass):
        if not issubclass(candidate, factory.django.DjangoModelFactory):
            continue
        if candidate._meta.abstract or candidate._meta.model is None:
            continue
        model = candidate._meta.get_model_class()
        if model not in registry or candidate.__name__ == f"{model.__name__}Factory":
            registry[model] = candidate
    return registry


def factory_for(model):
    registry = factory_registry()
    if model not in registry:
        pytest.fail(f"No factory for {model._meta.label} in tests/factories.py.")
    return registry[model]


def models_without_factory(models_=None, registry=None):
    models_ = tenant_owned_models() if models_ is None else models_
    registry = factory_registry() if registry is None else registry
    return [model._meta.label for model in models_ if model not in registry]


def tenant_owned_links(model, models_):
    """Foreign keys of `model` to other tenant-owned models of `models_`."""
    return [
        f
        for f in model._meta.concrete_fields
        if f.is_relation and f.name != "tenant" and f.related_model in models_
        and f.related_model is not model
    ]


def creation_order(models_):
    """Models sorted so that the targets of their foreign keys come first (cycles: as is)."""
    ordered, pending = [], list(models_)
    while pending:
        for model in pending:
            if all(f.related_model in ordered for f in tenant_owned_links(model, models_)):
                break
        else:
            model = pending[0]  # a cycle; its factory makes the missing links
        ordered.append(model)
        pending.remove(model)
    return ordered


def unique_per_tenant(model, field_name):
    """Whether one tenant can have only one row per value of `field_name`."""
    if model._meta.get_field(field_name).unique:
        return True
    groups = [set(group) for group in model._meta.unique_together]
    groups += [
        set(constraint.fields)
        for constraint in model._meta.constraints
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields
    ]
    return any(field_name in group and group <= {"tenant", field_name} for group in groups)


def object_id(index, tenant_number):
    """Ids no other model or tenant uses: model blocks of 100000; alpha at +1, beta at
    +50001, leaving room for rows that factories add with automatic ids (SQLite continues
    after the highest id, PostgreSQL's sequences start low)."""
    return 100_000 * (index + 1) + 1 + 50_000 * tenant_number


# --- the two tenants ---------------------------------------------------------------------


@dataclass
class Actor:
    """The sweep's admin inside one tenant: a browser session and an API token."""

    tenant: object
    user: object
    browser: Client
    api: Client
    api_token: object

    @classmethod
    def admin_of(cls, tenant, user):
        browser = Client()
        browser.force_login(user)
        session = browser.session
        session[SESSION_TENANT_KEY] = tenant.pk
        session.save()
        token, raw = create_api_token(tenant=tenant, user=user, name="isolation sweep")
        api = Client(headers={"Authorization": f"Bearer {raw}"})
        return cls(tenant=tenant, user=user, browser=browser, api=api, api_token=token)

    def request(self, method, url):
        """GET or POST `url` (the API with the token, pages with the session); whatever the
        request changes is rolled back, so one URL cannot spoil the data for the next."""
        client = self.api if url.startswith("/api/") else self.browser
        with transaction.atomic():
            try:
                return getattr(client, method)(url)
            finally:
                transaction.set_rollback(True)


@dataclass
class TenantData:
    actor: Actor
    objects: dict = field(default_factory=dict)  # model -> its one object in this tenant
    own_users: list = field(default_factory=list)  # users made for this tenant's rows only

    @property
    def tenant(self):
        return self.actor.tenant

    def ids(self, combination):
        return {kwarg: self.objects[model].pk for kwarg, model in combination.items()}


@dataclass
class SweepData:
    alpha: TenantData
    beta: TenantData
    models: list


def build_sweep_data(alpha, beta, models_=None):
    """One object of every tenant-owned model (or of `models_`) in each tenant, linked to
    each other inside the tenant; one user is admin of both tenants and owns the rows that
    belong to a user."""
    models_ = tenant_owned_models() if models_ is None else models_
    missing = models_without_factory(models_)
    assert not missing, (
        f"Tenant-owned models without a factory in tests/factories.py: {', '.join(missing)}. "
        "The isolation sweep needs one to put a row of each in both tenants."
    )
    registry = factory_registry()
    admin = UserFactory(email="sweep-admin@example.com", full_name="Sweep Admin")
    data = []
    for number, tenant in enumerate([alpha, beta]):
        MembershipFactory(tenant=tenant, user=admin, role="admin")
        tenant_data = TenantData(actor=Actor.admin_of(tenant, admin))
        users_before = set(get_user_model().objects.values_list("pk", flat=True))
        for model in creation_order(models_):
            kwargs = {"tenant": tenant}
            pk = model._meta.pk
            if isinstance(pk, models.AutoField | models.BigAutoField | models.IntegerField):
                kwargs[pk.name] = object_id(models_.index(model), number)
            for f in model._meta.concrete_fields:
                if not f.is_relation or f.name == "tenant" or f.related_model is model:
                    continue
                if f.related_model in tenant_data.objects:
                    kwargs[f.name] = tenant_data.objects[f.related_model]
                elif f.related_model is get_user_model() and not unique_per_tenant(model, f.name):
                    kwargs[f.name] = admin
            tenant_data.objects[model] = registry[model](**kwargs)
        tenant_data.own_users = list(
            get_user_model().objects.exclude(pk__in=users_before).values_list("pk", flat=True)
        )
        data.append(tenant_data)
    return SweepData(alpha=data[0], beta=data[1], models=models_)


def marked_fields(model):
    """Text fields of `model` that can hold a marker."""
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField)
        and not f.primary_key
        and not f.choices
        and (f.max_length is None or f.max_length >= 20)
    ]


def mark_rows(tenant_data, models_):
    """Write `LEAK-BETA-<id>-<model>` into every text field of the tenant's rows (and of the
    users that exist only for them), so a page showing any of them is easy to spot. The
    sweep's own API token is left alone: it must keep working."""
    with tenant_context(tenant_data.tenant):
        for model in models_:
            fields = marked_fields(model)
            if not fields:
                continue
            rows = model.objects.all()
            if model is ApiToken:
                rows = rows.exclude(pk=tenant_data.actor.api_token.pk)
            for pk in rows.values_list("pk", flat=True):
                marker = f"{MARKER}{pk}-{model._meta.model_name}"
                model.objects.filter(pk=pk).update(
                    **{f.attname: marker[: f.max_length] for f in fields}
                )
    for pk in tenant_data.own_users:
        get_user_model().objects.filter(pk=pk).update(
            full_name=f"{MARKER}{pk}-user", email=f"{MARKER}{pk}-user@example.com"
        )


# --- the URLs -------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    route: str  # as ResolverMatch.route gives it
    name: str | None  # with namespaces, as reverse() takes it
    kwargs: tuple

    @property
    def label(self):
        readable = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", self.route)
        return "/" + readable.replace("^", "").replace("$", "").replace("\\", "")

    def url(self, kwargs=None):
        """The path for `kwargs`; fails if it would reach another URL pattern."""
        if self.name:
            url = reverse(self.name, kwargs=kwargs or None)
        elif not self.kwargs and not re.search(r"[\\^$()\[\]*+?|{}]", self.route.strip("^$")):
            url = "/" + self.route.strip("^$")
        else:
            raise SweepProblem(f"{self.label}: give this URL a name, so the sweep can build it")
        if resolve(url).route != self.route:
            raise SweepProblem(f"{self.label}: its name {self.name!r} reverses to another URL")
        return url

    @property
    def skip_reason(self):
        for prefix, reason in SKIPPED_PREFIXES.items():
            if self.label.startswith(prefix):
                return reason
        return SKIPPED_NAMES.get(self.name)


class SweepProblem(Exception):
    pass


def walk_urls():
    """Every URL pattern of the current URLconf, includes and DRF routers included, except
    the routers' format-suffix variants (`.json`)."""
    endpoints = []

    def visit(patterns, route, namespace, kwargs):
        for entry in patterns:
            pattern_route = str(entry.pattern)
            full_route = route + pattern_route.removeprefix("^") if route else pattern_route
            names = kwargs + tuple(entry.pattern.regex.groupindex)
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                visit(entry.url_patterns, full_route, inner, names)
            elif "format" not in names:
                name = f"{namespace}{entry.name}" if entry.name else None
                endpoints.append(Endpoint(route=full_route, name=name, kwargs=names))

    visit(get_resolver().url_patterns, "", "", ())
    return endpoints


@dataclass
class Report:
    checked: list = field(default_factory=list)
    problems: list = field(default_factory=list)


def candidate_models(kwarg, endpoint, models_):
    """[(model, cost)]: the models a kwarg may name, likeliest first. `customer_pk` names
    Customer; `pk` may be any model, but those the path names cost less (`…/plans/<pk>/`
    → AccountPlan, and in `/satisfaction/…` a model of that app). Costs only save requests."""
    if kwarg not in {"pk", "id"}:
        stem = kwarg.rsplit("_", 1)[0].replace("_", "")
        named = [model for model in models_ if model._meta.model_name == stem]
        if named:
            return [(model, 0) for model in named]
    segments = endpoint.label.strip("/").split("/")
    at = next((i for i, part in enumerate(segments) if re.search(rf"\b{kwarg}>", part)), 0)
    before = singular(segments[at - 1]) if at else ""
    words = {singular(part) for part in segments if "<" not in part}

    def named_by(name, word):
        return bool(word) and (name.endswith(word) or name.startswith(word)
                               or word.endswith(name))

    def cost(model):
        name = model._meta.model_name
        in_app = model._meta.app_label in segments
        if named_by(name, before):
            return 0 if in_app else 1
        return (2 if in_app else 3) if any(named_by(name, word) for word in words) else 4

    return sorted(((model, cost(model)) for model in models_), key=lambda pair: pair[1])


def singular(segment):
    """`opl-items` → `oplitem`, `policies` → `policy` (good enough to rank models)."""
    word = re.sub(r"[^a-z]", "", segment.lower())
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") else word


def probe(actor, endpoint, kwargs, method="get"):
    """GET the URL, or POST an empty form where GET is not allowed; returns (method, status)."""
    url = endpoint.url(kwargs)
    status = actor.request(method, url).status_code
    if status == 405 and method == "get":
        return "post", actor.request("post", url).status_code
    return method, status


def check_object_url(data, endpoint):
    """Problems with one object URL: which model it serves, and whether beta's ids are 404."""
    kwargs = endpoint.kwargs
    choices = [candidate_models(kwarg, endpoint, data.models) for kwarg in kwargs]
    combinations = sorted(itertools.product(*choices), key=lambda c: sum(p[1] for p in c))
    method = "get"
    for pairs in combinations[:MAX_COMBINATIONS]:
        combination = {kwarg: model for kwarg, (model, _) in zip(kwargs, pairs, strict=True)}
        # Once GET is refused, POST the rest: the allowed methods are the view's, not the id's.
        method, status = probe(data.alpha.actor, endpoint, data.alpha.ids(combination), method)
        if status != 404:
            break
    else:
        return [
            f"{endpoint.label}: could not find an object this URL serves: every id of alpha's "
            f"objects answered 404 to alpha's admin. Name its kwargs after their models "
            f"(`customer_pk`), or list it in NON_OBJECT_KWARGS with a reason."
        ]
    served = ", ".join(f"{k}={m.__name__}" for k, m in combination.items())
    problems = []

    def expect_404(ids, what):
        url = endpoint.url(ids)
        status = data.alpha.actor.request(method, url).status_code
        if status != 404:
            problems.append(
                f"{method.upper()} {url} ({endpoint.label}, {served}) with {what} answered "
                f"{status} to alpha's admin: another tenant's object must be 404."
            )

    beta_ids = data.beta.ids(combination)
    expect_404(beta_ids, "beta's ids")
    if len(kwargs) > 1:
        for kwarg in kwargs:
            expect_404({**data.alpha.ids(combination), kwarg: beta_ids[kwarg]},
                       f"beta's {kwarg} and alpha's other ids")
    url = endpoint.url(beta_ids)
    status = data.beta.actor.request(method, url).status_code
    if status == 404:
        problems.append(
            f"{method.upper()} {url} ({endpoint.label}, {served}) is 404 for beta's own admin "
            "too, so the 404 for alpha proves nothing: the sweep's data for the two tenants "
            "differ (check the factories)."
        )
    return problems


def sweep_object_urls(data, prefix="/"):
    """Check every URL with kwargs (under `prefix`); returns a Report."""
    report = Report()
    for endpoint in walk_urls():
        if not endpoint.kwargs or endpoint.skip_reason or not endpoint.label.startswith(prefix):
            continue
        if endpoint.name in NON_OBJECT_KWARGS:
            continue
        others = [kwarg for kwarg in endpoint.kwargs if not is_object_kwarg(kwarg)]
        if others:
            report.problems.append(
                f"{endpoint.label}: kwargs {others} are not object ids (`pk`, `id`, "
                "`*_pk`, `*_id`). Rename them, or list the URL's name in "
                "NON_OBJECT_KWARGS with the reason it cannot show another tenant's data."
            )
            continue
        try:
            report.problems += check_object_url(data, endpoint)
        except SweepProblem as exc:
            report.problems.append(str(exc))
        except Exception as exc:  # a crashing view is a finding, not the end of the sweep
            report.problems.append(f"{endpoint.label}: raised {type(exc).__name__}: {exc}")
        report.checked.append(endpoint.label)
    return report


def response_text(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body.startswith(b"PK\x03\x04"):  # xlsx/zip downloads: search the files inside
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            body = b"".join(archive.read(name) for name in archive.namelist())
    return body.decode("utf-8", errors="replace")


def sweep_list_urls(data, prefix="/"):
    """GET every URL without kwargs (under `prefix`) as alpha's admin, after marking beta's
    rows; returns a Report whose `checked` lists the URLs that answered 200."""
    mark_rows(data.beta, data.models)
    report = Report()
    for endpoint in walk_urls():
        if endpoint.kwargs or endpoint.skip_reason or not endpoint.label.startswith(prefix):
            continue
        try:
            url = endpoint.url()
            response = data.alpha.actor.request("get", url)
            if response.status_code != 200:
                continue
            text = response_text(response)
            if MARKER in text:
                at = text.index(MARKER)
                report.problems.append(
                    f"GET {url} shows beta's data to alpha's admin: …{text[at - 80: at + 60]}…"
                )
            report.checked.append(url)
        except SweepProblem as exc:
            report.problems.append(str(exc))
        except Exception as exc:  # a crashing view is a finding, not the end of the sweep
            report.problems.append(f"{endpoint.label}: raised {type(exc).__name__}: {exc}")
    return report


def shows_marker(actor, url):
    return MARKER in response_text(actor.request("get", url))


# --- the tests --------------------------------------------------------------------------


@pytest.fixture
def sweep_data(tenant, other_tenant):
    return build_sweep_data(tenant, other_tenant)


def test_every_tenant_owned_model_has_a_factory():
    missing = models_without_factory()
    assert not missing, (
        f"Add a factory to tests/factories.py for: {', '.join(missing)} "
        "(the isolation sweep puts a row of every tenant-owned model in both tenants)."
    )


@pytest.mark.parametrize(
    "model", tenant_owned_models(), ids=lambda model: model._meta.label
)
def test_factory_keeps_related_rows_in_its_tenant(model, tenant):
    factory_for(model)(tenant=tenant)

    with cross_tenant():
        elsewhere = {
            other._meta.label: other.objects.exclude(tenant=tenant).count()
            for other in tenant_owned_models()
        }
    assert not any(elsewhere.values()), (
        f"{model.__name__}'s factory made rows in another tenant: {elsewhere}. "
        "Use SameTenantSubFactory for links between tenant-owned rows."
    )


def test_walk_finds_pages_and_api_routes():
    endpoints = walk_urls()
    names = {endpoint.name for endpoint in endpoints}

    assert {"home", "member_edit", "token_revoke", "notification_open", "me-list",
            "notification-list", "notification-detail", "notification-mark-read",
            "api-root"} <= names
    assert not [e for e in endpoints if "format" in e.kwargs]
    detail = next(e for e in endpoints if e.name == "notification-mark-read")
    assert detail.kwargs == ("pk",)
    assert detail.url({"pk": 7}) == "/api/v1/notifications/7/read/"


def test_sweep_data_gives_each_tenant_the_same_rows(sweep_data):
    alpha, beta = sweep_data.alpha, sweep_data.beta
    assert set(alpha.objects) == set(beta.objects) == set(sweep_data.models)
    ids = [obj.pk for data in (alpha, beta) for obj in data.objects.values()]
    assert len(ids) == len(set(ids))
    for data in (alpha, beta):
        assert {obj.tenant_id for obj in data.objects.values()} == {data.tenant.pk}


def test_no_url_serves_another_tenants_object(sweep_data):
    report = sweep_object_urls(sweep_data)

    assert report.checked, "the sweep found no object URLs: is walk_urls broken?"
    assert not report.problems, "\n".join(report.problems)


def test_no_list_shows_another_tenants_rows(sweep_data):
    report = sweep_list_urls(sweep_data)

    assert not report.problems, "\n".join(report.problems)
    assert {"/api/v1/notifications/", "/notifications/"} <= set(report.checked)
    # The markers do show where they belong, so their absence for alpha means something.
    assert shows_marker(sweep_data.beta.actor, "/api/v1/notifications/")
    assert shows_marker(sweep_data.beta.actor, "/notifications/")


# --- the sweep catches leaks: run it on a URLconf with deliberately leaky views ----------


@pytest.fixture
def small_sweep_data(tenant, other_tenant):
    """Sweep data of a few models only, so the self-tests do not depend on every factory."""
    return build_sweep_data(tenant, other_tenant, models_=[ApiToken, Membership, Notification])


@pytest.mark.urls("tests.leaky_urls")
def test_sweep_reports_an_object_view_that_leaks(small_sweep_data):
    report = sweep_object_urls(small_sweep_data, prefix="/selftest/")
    problems = "\n".join(report.problems)

    assert len(report.problems) == 4, problems
    assert re.search(
        r"GET /selftest/leaky/notifications/\d+/ .* answered 200 to alpha's admin", problems
    )
    # Beta's child under alpha's parent: only the nested check sees this one.
    assert re.search(
        r"GET /selftest/members/\d+/notifications/\d+/ .* with beta's pk and alpha's other "
        r"ids answered 200", problems
    )
    assert "/selftest/blind/<int:pk>/: could not find an object this URL serves" in problems
    assert "/selftest/by-code/<slug:code>/: kwargs ['code'] are not object ids" in problems
    assert "/selftest/scoped/notifications/<int:pk>/" in report.checked


@pytest.mark.urls("tests.leaky_urls")
def test_sweep_reports_a_list_that_leaks(small_sweep_data):
    report = sweep_list_urls(small_sweep_data, prefix="/selftest/")

    assert len(report.problems) == 1, report.problems
    assert report.problems[0].startswith("GET /selftest/leaky/notifications/ shows beta's data")
    assert "/selftest/scoped/notifications/" in report.checked
    assert shows_marker(small_sweep_data.beta.actor, "/selftest/scoped/notifications/")


def test_sweep_reports_a_model_without_factory():
    registry = factory_registry()
    del registry[Notification]

    assert models_without_factory([Membership, Notification], registry) == [
        "notifications.Notification"
    ]
