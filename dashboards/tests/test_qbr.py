"""The QBR pack (page and API) and the dashboard's PDF: what each variant shows, Chinese
text, the XLSX's sections, bad requests, tenants and roles."""

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dashboards import pdf, qbr
from dashboards.tests.portfolio import build_portfolio
from kam.periods import Quarter
from kam.tenancy import tenant_context
from tests.factories import (
    AccountPlanFactory,
    CustomerFactory,
    InitiativeFactory,
    MembershipFactory,
)

needs_pdf = pytest.mark.skipif(bool(pdf.unavailable()), reason="WeasyPrint cannot load here "
                               "(its system libraries are missing): PDFs are not rendered")

SCORE = "87.25"
MARGIN = "31.7"
COST_TO_SERVE = "54,321"


def pdf_text(content):
    from pypdf import PdfReader

    assert content.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def account(tenant):
    """An A account of a small portfolio with a score, margins, a plan and an objective
    for the quarter after the pack's (the quarter before today's)."""
    portfolio = build_portfolio(tenant, size=2)
    customer = portfolio.customers[0]
    quarter = Quarter.of(tenant.today()) - 1
    with tenant_context(tenant):
        customer.score = SCORE
        customer.save(update_fields=["score"])
        customer.figures.filter(period=str(quarter)).update(gross_margin=MARGIN,
                                                             cost_to_serve=54321)
        plan = AccountPlanFactory(tenant=tenant, customer=customer, year=quarter.year,
                                  revenue_target=8_000_000)
        InitiativeFactory(tenant=tenant, plan=plan, title="Win the e-axle housing",
                          due_on=(quarter + 1).start)
        customer.refresh_from_db()
    return customer, quarter, portfolio


def url(customer, **params):
    return reverse("customer_qbr", args=[customer.pk]), params


def get_pack(client, customer, **params):
    path, params = url(customer, **params)
    return client.get(path, params)


@needs_pdf
def test_the_internal_pack_shows_tier_score_and_margins(client, login, account):
    customer, quarter, _portfolio = account
    login("executive")
    answer = get_pack(client, customer, quarter=str(quarter), variant="internal")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert (f'filename="QBR-{customer.code}-{quarter}-internal.pdf"'
            in answer["Content-Disposition"])
    text = pdf_text(answer.content)
    assert "Tier and why" in text and re.search(r"\bScore\b", text)
    assert SCORE in text and MARGIN in text and COST_TO_SERVE in text
    assert "Account health" in text
    assert "Win the e-axle housing" in text  # next quarter's objective


@needs_pdf
def test_the_customer_facing_pack_leaves_every_internal_figure_out(client, login, account):
    customer, quarter, _portfolio = account
    login("executive")
    text = pdf_text(get_pack(client, customer, quarter=str(quarter),
                             variant="customer").content)
    for internal in (SCORE, MARGIN, COST_TO_SERVE, "Tier and why", "Account health",
                     "Gross margin", "Cost to serve", "Health"):
        assert internal not in text, internal
    assert not re.search(r"\bScore\b|\bTier\b", text)
    # What the customer does see.
    assert customer.name in text and "Satisfaction by department and dimension" in text
    assert "Programmes with RAG and slips" in text and "Win the e-axle housing" in text


def test_one_rule_names_what_is_internal(account, tenant):
    customer, quarter, _portfolio = account
    with tenant_context(tenant):
        internal = qbr.build(customer, quarter=quarter, variant="internal", tenant=tenant)
        facing = qbr.build(customer, quarter=quarter, variant="customer", tenant=tenant)
    internal_keys = [s.key for s in internal.sections]
    facing_keys = [s.key for s in facing.sections]
    assert {"tier", "health"} <= set(internal_keys)
    assert facing_keys == [k for k in internal_keys if k not in qbr.INTERNAL_SECTIONS]
    for section in facing.sections:
        assert not {key for key, _label in section.columns} & qbr.INTERNAL_FIELDS
        assert not {row.get("key") for row in section.rows} & qbr.INTERNAL_FIELDS
        assert not {key for key, _label, _value in section.facts} & qbr.INTERNAL_FIELDS


@needs_pdf
def test_the_chinese_pack_renders_chinese_text(client, tenant, account):
    customer, quarter, portfolio = account
    with tenant_context(tenant):
        customer.name = "上海汽车集团股份有限公司"
        customer.save(update_fields=["name"])
        plan = customer.plans.get()
        InitiativeFactory(tenant=tenant, plan=plan, title="提高电驱动壳体的供货份额",
                          due_on=(quarter + 1).end)
    user = MembershipFactory(tenant=tenant, role="admin").user
    user.language = "zh-hans"
    user.save(update_fields=["language"])
    client.force_login(user)
    answer = get_pack(client, customer, quarter=str(quarter), variant="customer")
    text = pdf_text(answer.content)
    assert "上海汽车集团股份有限公司" in text
    assert "提高电驱动壳体的供货份额" in text


def test_the_xlsx_has_a_sheet_per_section(client, login, account):
    customer, quarter, _portfolio = account
    login("admin")
    answer = get_pack(client, customer, quarter=str(quarter), variant="internal",
                      format="xlsx")
    assert answer.status_code == 200
    assert answer["Content-Type"] == qbr.FORMATS["xlsx"]
    assert f"QBR-{customer.code}-{quarter}-internal.xlsx" in answer["Content-Disposition"]
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["figures", "tier", "health", "scorecard", "satisfaction", "opl",
                               "programmes", "risks", "objectives"]
    cells = [c for row in book["figures"].iter_rows(values_only=True) for c in row]
    assert float(MARGIN) in cells

    facing = load_workbook(io.BytesIO(get_pack(client, customer, quarter=str(quarter),
                                               variant="customer", format="xlsx").content))
    assert "tier" not in facing.sheetnames and "health" not in facing.sheetnames
    values = [str(c) for sheet in facing for row in sheet.iter_rows(values_only=True)
              for c in row if c is not None]
    assert not any(MARGIN in value or "54321" in value for value in values)


@pytest.mark.parametrize(("params", "field"), [
    ({"quarter": "2026Q5"}, "quarter"), ({"quarter": "2099Q1"}, "quarter"),
    ({"variant": "board"}, "variant"), ({"format": "docx"}, "format")])
def test_a_bad_request_is_a_form_error_on_the_page(client, login, account, params, field):
    customer, _quarter, _portfolio = account
    login("admin")
    answer = get_pack(client, customer, **params)
    assert answer.status_code == 400
    assert f"<strong>{field}</strong>" in answer.content.decode()


@pytest.mark.parametrize(("params", "field"), [
    ({"quarter": "Q3"}, "quarter"), ({"variant": "board"}, "variant"),
    ({"format": "docx"}, "format")])
def test_a_bad_request_is_a_400_in_the_api(tenant, bearer_client, account, params, field):
    customer, _quarter, _portfolio = account
    api = bearer_client(MembershipFactory(tenant=tenant, role="admin"))
    answer = api.get(f"/api/v1/customers/{customer.pk}/qbr/", params)
    assert answer.status_code == 400
    assert field in answer.json()


def test_an_unknown_parameter_is_refused(tenant, bearer_client, account):
    customer, _quarter, _portfolio = account
    api = bearer_client(MembershipFactory(tenant=tenant, role="admin"))
    answer = api.get(f"/api/v1/customers/{customer.pk}/qbr/", {"colour": "red"})
    assert answer.status_code == 400 and "colour" in str(answer.json())


def test_the_api_answers_the_file(tenant, bearer_client, account):
    customer, quarter, _portfolio = account
    api = bearer_client(MembershipFactory(tenant=tenant, role="executive"))
    answer = api.get(f"/api/v1/customers/{customer.pk}/qbr/",
                     {"quarter": str(quarter), "variant": "internal", "format": "xlsx"})
    assert answer.status_code == 200
    assert "tier" in load_workbook(io.BytesIO(answer.content)).sheetnames


def test_another_tenants_customer_is_not_found(client, bearer_client, tenant, other_tenant):
    other = CustomerFactory(tenant=other_tenant)
    admin = MembershipFactory(tenant=tenant, role="admin")
    client.force_login(admin.user)
    assert get_pack(client, other, format="xlsx").status_code == 404
    answer = bearer_client(admin).get(f"/api/v1/customers/{other.pk}/qbr/", {"format": "xlsx"})
    assert answer.status_code == 404


def test_the_account_team_exports_only_the_customer_facing_pack(client, tenant, bearer_client,
                                                                 account):
    customer, quarter, portfolio = account
    with tenant_context(tenant):
        membership = portfolio.owner.memberships.get(tenant=tenant)
    client.force_login(portfolio.owner)  # a manager on the account's team
    assert get_pack(client, customer, quarter=str(quarter), variant="customer",
                    format="xlsx").status_code == 200
    assert get_pack(client, customer, quarter=str(quarter), variant="internal",
                    format="xlsx").status_code == 403
    page = client.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    assert 'id="qbr-form"' in page and 'value="internal"' not in page
    api = bearer_client(membership)
    assert api.get(f"/api/v1/customers/{customer.pk}/qbr/",
                   {"variant": "internal", "format": "xlsx"}).status_code == 403


@pytest.mark.parametrize("role", ["manager", "member", "viewer"])
def test_who_is_not_on_the_team_exports_no_pack(client, login, account, role):
    customer, quarter, _portfolio = account
    login(role)
    assert get_pack(client, customer, quarter=str(quarter), variant="customer",
                    format="xlsx").status_code == 403
    page = client.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    assert 'id="qbr-form"' not in page


def test_the_360_page_offers_the_last_complete_quarter(client, login, account):
    customer, quarter, _portfolio = account
    login("executive")
    page = client.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    assert f'<option value="{quarter}" selected>' in page
    assert 'value="internal"' in page


@needs_pdf
def test_the_dashboard_exports_as_pdf(client, login, account, tenant):
    customer, quarter, _portfolio = account
    login("executive")
    page = client.get(reverse("dashboard")).content.decode()
    assert 'id="dashboard-export"' in page
    for chosen in (str(Quarter.of(tenant.today())), str(quarter)):
        answer = client.get(reverse("dashboard_pdf"), {"quarter": chosen})
        assert answer.status_code == 200
        assert answer["Content-Type"] == "application/pdf"
        text = pdf_text(answer.content)
        assert f"Portfolio dashboard {chosen}" in text and tenant.name in text
        assert customer.name in text
    assert client.get(reverse("dashboard_pdf"), {"quarter": "1999Q1"}).status_code == 400


def test_the_dashboard_pdf_is_for_dashboard_readers(client, login, account):
    login("manager")
    assert client.get(reverse("dashboard_pdf")).status_code == 403


def test_without_weasyprint_the_pdf_says_what_is_missing_and_xlsx_works(
        client, login, tenant, bearer_client, account, monkeypatch):
    # The system libraries cannot be uninstalled for one test: WeasyPrint's loader is
    # made to fail the way it does without Pango.
    monkeypatch.setattr(pdf, "_weasyprint", lambda: "cannot load library 'libpango-1.0-0'")
    customer, quarter, _portfolio = account
    login("admin")
    answer = get_pack(client, customer, quarter=str(quarter))
    assert answer.status_code == 400
    assert "libpango-1.0-0" in answer.content.decode()
    assert get_pack(client, customer, quarter=str(quarter), format="xlsx").status_code == 200
    api = bearer_client(MembershipFactory(tenant=tenant, role="admin"))
    refused = api.get(f"/api/v1/customers/{customer.pk}/qbr/", {"format": "pdf"})
    assert refused.status_code == 400 and "weasyprint" in refused.json()["format"][0]
    assert [w.id for w in pdf.pdf_export_check()] == ["dashboards.W001"]
    assert client.get(reverse("dashboard_pdf")).status_code == 400
