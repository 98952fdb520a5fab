"""Satisfaction pages for staff: templates, campaigns, surveys, reports and the OPL.

Thin glue: forms in, services and selectors out. Every object is looked up through the
tenant-scoped managers, so another tenant's id is 404.
"""

from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import roles
from accounts.permissions import admin_required, tenant_required
from customers import import_views
from customers.models import Customer, Department
from kam.imports import kinds as import_kinds

from . import exports, opl, selectors, services
from .forms import (
    CampaignForm,
    OplFilterForm,
    OplItemForm,
    OplUpdateForm,
    QuestionForm,
    ReportForm,
    SatisfactionSettingsForm,
    StaffEntryForm,
    TemplateForm,
)
from .index import colour
from .models import (
    Campaign,
    Dimension,
    Invitation,
    OplItem,
    OplProposal,
    Question,
    Survey,
    SurveyTemplate,
)

PAGE_SIZE = 25

survey_required = tenant_required("run_surveys")
template_required = admin_required  # survey templates and settings are the workspace's
read_required = tenant_required()
opl_create_required = tenant_required("create_opl_items")


def page(request, template, context=None, status=200):
    return render(request, template, context or {}, status=status)


def add_errors(form, exc):
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _export_format(request):
    fmt = request.GET.get("export", "")
    return fmt if fmt in exports.FORMATS else None


# --- templates -------------------------------------------------------------------------

@read_required
def template_list(request):
    templates = SurveyTemplate.objects.annotate(n_questions=Count("questions")).order_by("name")
    return page(request, "satisfaction/template_list.html", {"templates": templates})


@template_required
@require_POST
def template_default(request):
    template = services.ensure_default_template(request.tenant)
    messages.success(request, _("The default automotive template is ready."))
    return redirect("survey_template_detail", pk=template.pk)


@template_required
def template_create(request):
    form = TemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.instance.tenant = request.tenant
        if SurveyTemplate.objects.filter(name=form.cleaned_data["name"]).exists():
            form.add_error("name", _("A template with this name already exists."))
        else:
            template = form.save()
            messages.success(request, _("Template created; now add its questions."))
            return redirect("survey_template_detail", pk=template.pk)
    return page(request, "satisfaction/form.html", {
        "form": form, "title": _("New survey template"),
        "cancel_url": reverse("survey_template_list")})


@read_required
def template_detail(request, pk):
    template = get_object_or_404(SurveyTemplate, pk=pk)
    questions = list(Question.objects.filter(template=template).order_by("position", "pk"))
    labels = dict(Department.choices)
    for question in questions:
        question.department_labels = [labels.get(d, d) for d in question.departments]
    return page(request, "satisfaction/template_detail.html", {
        "template": template, "questions": questions})


@template_required
def template_edit(request, pk):
    template = get_object_or_404(SurveyTemplate, pk=pk)
    form = TemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        if SurveyTemplate.objects.filter(name=form.cleaned_data["name"]).exclude(
                pk=template.pk).exists():
            form.add_error("name", _("A template with this name already exists."))
        else:
            form.save()
            messages.success(request, _("Template saved."))
            return redirect("survey_template_detail", pk=template.pk)
    return page(request, "satisfaction/form.html", {
        "form": form, "title": _("Edit template %(name)s") % {"name": template.name},
        "cancel_url": reverse("survey_template_detail", args=[template.pk])})


def _question_form(request, template, instance=None):
    form = QuestionForm(request.POST or None, instance=instance, template=template)
    if request.method == "POST" and form.is_valid():
        form.instance.tenant = request.tenant
        form.save()
        messages.success(request, _("Question saved."))
        return None, redirect("survey_template_detail", pk=template.pk)
    return form, None


@template_required
def question_add(request, template_pk):
    template = get_object_or_404(SurveyTemplate, pk=template_pk)
    form, done = _question_form(request, template)
    return done or page(request, "satisfaction/form.html", {
        "form": form, "title": _("Add a question to %(name)s") % {"name": template.name},
        "cancel_url": reverse("survey_template_detail", args=[template.pk])})


@template_required
def question_edit(request, template_pk, pk):
    template = get_object_or_404(SurveyTemplate, pk=template_pk)
    question = get_object_or_404(Question, pk=pk, template=template)
    form, done = _question_form(request, template, question)
    return done or page(request, "satisfaction/form.html", {
        "form": form, "title": _("Edit question %(code)s") % {"code": question.code},
        "cancel_url": reverse("survey_template_detail", args=[template.pk])})


# --- campaigns -------------------------------------------------------------------------

@read_required
def campaign_list(request):
    campaigns = selectors.campaigns_with_counts().order_by("-year", "-quarter")
    page_obj = Paginator(campaigns, PAGE_SIZE).get_page(request.GET.get("page"))
    settings_form = None
    if roles.allows(request.role, "manage_workspace"):
        settings_form = SatisfactionSettingsForm(
            initial={"interim_percent": round(selectors.interim_share() * 100)})
    return page(request, "satisfaction/campaign_list.html", {
        "page": page_obj, "settings_form": settings_form,
        "proposals": selectors.pending_proposals().count(),
        "opl": selectors.opl_summary(today=request.tenant.today(), user=request.user)})


@require_POST
@template_required
def satisfaction_settings(request):
    form = SatisfactionSettingsForm(request.POST)
    if form.is_valid():
        services.set_interim_share(
            request.tenant, share=Decimal(form.cleaned_data["interim_percent"]) / 100)
        messages.success(request, _("Saved: an open campaign counts once %(share)s %% of its "
                                    "invitations are answered.")
                         % {"share": form.cleaned_data["interim_percent"]})
    else:
        messages.error(request, _("Enter a whole percentage from 0 to 100."))
    return redirect("satisfaction_home")


@survey_required
def campaign_create(request):
    today = request.tenant.today()
    year, quarter = selectors.first_free_quarter(today=today)
    # A later quarter's survey runs in that quarter: close four weeks after it starts.
    starts = max(today, date(year, 3 * quarter - 2, 1))
    template = SurveyTemplate.objects.filter(is_active=True).first()
    form = CampaignForm(request.POST or None, initial={
        "year": year, "quarter": quarter, "template": template,
        "closes_on": starts + timezone.timedelta(days=28),
        "customers": list(services.default_customers(request.tenant))})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = services.create_campaign(
                request.tenant, year=data["year"], quarter=data["quarter"],
                template=data["template"], closes_on=data["closes_on"],
                customers=data["customers"], note=data["note"], user=request.user)
        except ValidationError as exc:
            add_errors(form, exc)
        except IntegrityError:
            form.add_error("quarter", _("There is already a campaign for this quarter."))
        else:
            messages.success(request, _("Campaign %(period)s created as a draft.") % {
                "period": campaign.period})
            return redirect("campaign_detail", pk=campaign.pk)
    return page(request, "satisfaction/form.html", {
        "form": form, "title": _("New quarterly campaign"),
        "intro": _("Opening the campaign creates one survey per customer and one invitation "
                   "link per customer department."),
        "cancel_url": reverse("satisfaction_home")})


@survey_required
def campaign_edit(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    form = CampaignForm(request.POST or None, instance=Campaign.objects.get(pk=campaign.pk),
                        initial={"customers": list(Customer.objects.filter(
                            pk__in=campaign.inclusions.values("customer_id")))})
    if campaign.status != Campaign.Status.DRAFT:
        for name in ("year", "quarter", "template", "customers"):
            form.fields[name].disabled = True
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if campaign.status != Campaign.Status.DRAFT:
            data.pop("customers", None)
        try:
            services.update_campaign(campaign, **data)
        except ValidationError as exc:
            add_errors(form, exc)
        except IntegrityError:
            form.add_error("quarter", _("There is already a campaign for this quarter."))
        else:
            messages.success(request, _("Campaign saved."))
            return redirect("campaign_detail", pk=campaign.pk)
    return page(request, "satisfaction/form.html", {
        "form": form, "title": _("Campaign %(period)s") % {"period": campaign.period},
        "cancel_url": reverse("campaign_detail", args=[campaign.pk])})


@read_required
def campaign_detail(request, pk):
    campaign = get_object_or_404(selectors.campaigns_with_counts(), pk=pk)
    included = []
    if campaign.status == Campaign.Status.DRAFT:
        included = list(Customer.objects.filter(pk__in=campaign.inclusions.values(
            "customer_id")).order_by("tier", "name"))
    return page(request, "satisfaction/campaign_detail.html", {
        "campaign": campaign, "surveys": selectors.campaign_surveys(campaign),
        "included": included, "index": selectors.campaign_index(campaign)})


@survey_required
@require_POST
def campaign_open(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        result = services.open_campaign(campaign, user=request.user, email_links=True)
    except ValidationError as exc:
        for messages_ in exc.message_dict.values():
            for message in messages_:
                messages.error(request, message)
        return redirect("campaign_detail", pk=campaign.pk)
    messages.success(request, _(
        "Campaign opened: %(surveys)s surveys, %(links)s invitation links, %(emailed)s "
        "of them being e-mailed.") % {
        "surveys": result.surveys, "links": len(result.links) + result.emailed,
        "emailed": result.emailed})
    # The e-mailed ones carry a link of their own (issued when sent): none to show here.
    links = [{"invitation": invitation, "customer": invitation.survey.customer,
              "url": request.build_absolute_uri(services.respond_path(raw))}
             for invitation, raw in result.links]
    links += [{"invitation": invitation, "customer": invitation.survey.customer, "url": ""}
              for invitation in result.emailing]
    return page(request, "satisfaction/links.html", {"campaign": result.campaign,
                                                     "links": links})


@survey_required
@require_POST
def campaign_close(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        services.close_campaign(campaign, user=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Campaign closed; its links no longer work."))
    return redirect("campaign_detail", pk=campaign.pk)


@survey_required
def campaign_import(request, pk):
    """The import pipeline's upload page for this campaign's answers (the shared pages
    under /customers/import/ show the dry run, the commit and its progress)."""
    campaign = get_object_or_404(Campaign, pk=pk)
    return import_views.upload_page(request, import_kinds.get("answers"),
                                    {"campaign": str(campaign.pk)})


@survey_required
def campaign_import_template(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    return import_views.template_response(
        request, import_kinds.get("answers"), _export_format(request) or "xlsx",
        {"campaign": campaign.pk, "period": campaign.period})


# --- surveys ---------------------------------------------------------------------------

def _get_enterable_survey(request, pk):
    """A survey whose answers the user may enter or whose links they may reissue: 404 if
    not the tenant's, 403 unless they may edit its account (its team, administrators)."""
    survey = get_object_or_404(Survey.objects.select_related("campaign", "customer",
                                                             "template"), pk=pk)
    if not roles.can_edit_account(request, None, survey.customer):
        raise PermissionDenied(_("Only the account's team and administrators enter its "
                                 "answers."))
    return survey


@read_required
def survey_detail(request, pk):
    survey = get_object_or_404(Survey.objects.select_related("campaign", "customer",
                                                             "template"), pk=pk)
    detail = selectors.survey_detail(survey)
    labels = dict(Department.choices)
    return page(request, "satisfaction/survey_detail.html", {
        "survey": survey, **detail,
        "departments": [{"code": d, "label": labels[d], "index": v, "colour": colour(v)}
                        for d, v in detail["by_department"].items()],
        "dimensions": [{"label": label, "index": detail["by_dimension"].get(code),
                        "colour": colour(detail["by_dimension"].get(code))}
                       for code, label in Dimension.choices],
        "departments_asked": services.template_departments(survey.template),
        "can_run_surveys": (roles.allows(request.role, "run_surveys")
                            and roles.can_edit_account(request, None, survey.customer))})


@survey_required
@require_POST
def invitation_link(request, survey_pk, pk):
    survey = _get_enterable_survey(request, survey_pk)
    invitation = get_object_or_404(Invitation, pk=pk, survey=survey)
    try:
        raw = services.reissue_invitation(invitation)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("survey_detail", pk=survey.pk)
    links = [{"invitation": invitation, "customer": survey.customer,
              "url": request.build_absolute_uri(services.respond_path(raw))}]
    return page(request, "satisfaction/links.html", {"campaign": survey.campaign,
                                                     "links": links, "reissued": True})


@survey_required
def survey_enter(request, pk):
    """Staff enter (or correct) a department's answers given to an outside agency."""
    survey = _get_enterable_survey(request, pk)
    departments = services.template_departments(survey.template)
    department = request.GET.get("department") or request.POST.get("department")
    if department not in departments:
        return page(request, "satisfaction/enter_choose.html", {
            "survey": survey, "departments": [(d, Department(d).label) for d in departments]})
    if survey.campaign.status == Campaign.Status.DRAFT:
        messages.error(request, _("The campaign is not open yet."))
        return redirect("survey_detail", pk=survey.pk)
    existing = survey.responses.filter(department=department).prefetch_related(
        "answers").first()
    form = StaffEntryForm(request.POST or None,
                          questions=services.questions_for(survey, department),
                          scale_max=survey.scale_max,
                          ask_recommend=survey.template.ask_recommend,
                          initial_response=existing,
                          initial={"respondent": existing.respondent if existing else ""})
    if request.method == "POST" and form.is_valid():
        try:
            services.save_response(
                survey, department=department, scores=form.scores(),
                recommend=form.cleaned_data.get("recommend"),
                comment=form.cleaned_data["comment"],
                respondent=form.cleaned_data["respondent"],
                source=form.cleaned_data["source"], user=request.user,
                language=request.LANGUAGE_CODE)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Answers of %(department)s saved.") % {
                "department": Department(department).label})
            return redirect("survey_detail", pk=survey.pk)
    return page(request, "satisfaction/enter.html", {
        "survey": survey, "form": form, "department": department,
        "department_label": Department(department).label, "existing": existing},
        status=400 if request.method == "POST" else 200)


# --- reports ---------------------------------------------------------------------------

@read_required
def portfolio_report(request):
    form = ReportForm(request.GET or None)
    campaign = None
    if form.is_valid():
        campaign = form.cleaned_data.get("campaign")
    if campaign is None:
        # The campaign the dashboard shows: not an open one that has barely started.
        campaign = (selectors.reported_campaign()[0]
                    or selectors.reportable_campaigns().first())
        form = ReportForm(initial={"campaign": campaign})
    report = selectors.portfolio_report(campaign)
    fmt = _export_format(request)
    if fmt and report:
        return exports.table_response(f"satisfaction-{campaign.period}",
                                      exports.portfolio_sheets(report), fmt)
    return page(request, "satisfaction/portfolio_report.html", {"form": form,
                                                                "report": report})


@read_required
def customer_report(request, customer_pk):
    customer = get_object_or_404(Customer, pk=customer_pk)
    report = selectors.customer_report(customer)
    fmt = _export_format(request)
    if fmt:
        return exports.table_response(f"satisfaction-{customer.code}",
                                      exports.customer_sheets(report), fmt)
    items = selectors.open_items_of_customer(customer, today=request.tenant.today())
    return page(request, "satisfaction/customer_report.html", {**report, "opl_items": items})


# --- the OPL ---------------------------------------------------------------------------

def _opl_list(request, *, mine):
    today = request.tenant.today()
    form = OplFilterForm(request.GET or None, tenant=request.tenant)
    items = selectors.opl_items(today=today)
    filters = {}
    if form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    items = selectors.filter_items(items, today=today, mine_for=request.user if mine else None,
                                   **filters).order_by("due_date", "pk")
    fmt = _export_format(request)
    if fmt:
        return exports.table_response("opl", exports.opl_sheets(items[:5000], today), fmt)
    page_obj = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return page(request, "satisfaction/opl_list.html", {
        "form": form, "page": page_obj, "mine": mine, "filtered": bool(filters),
        "proposals": selectors.pending_proposals().count(),
        "summary": selectors.opl_summary(today=today, user=request.user)})


@read_required
def opl_list(request):
    return _opl_list(request, mine=False)


@read_required
def opl_mine(request):
    return _opl_list(request, mine=True)


@opl_create_required
def opl_create(request):
    initial = {"due_date": request.tenant.today() + timezone.timedelta(days=opl.DEFAULT_DUE_DAYS)}
    customers = roles.editable_customers(request, None)
    customer_id = request.GET.get("customer")
    if customer_id and customer_id.isdigit():
        customer = customers.filter(pk=customer_id).first()
        if customer is not None:
            initial.update(customer=customer, accountable=customer.owner, owner=customer.owner)
    form = OplItemForm(request.POST or None, tenant=request.tenant, initial=initial,
                       customers=customers)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.create_item(request.tenant, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("OPL item opened."))
            return redirect("opl_detail", pk=item.pk)
    return page(request, "satisfaction/form.html", {
        "form": form, "title": _("New OPL item"), "cancel_url": reverse("opl_list")})


def _get_item(pk, today):
    return get_object_or_404(selectors.opl_items(today=today), pk=pk)


@read_required
def opl_detail(request, pk):
    today = request.tenant.today()
    item = _get_item(pk, today)
    form = None
    if opl.can_update(item, request.user, request.role) and item.status != OplItem.Status.VERIFIED:
        form = OplUpdateForm(item=item)
    return page(request, "satisfaction/opl_detail.html", {
        "item": item, "log": selectors.item_log(item), "form": form,
        "can_edit": opl.can_edit(item, request.user, request.role),
        "can_verify": opl.can_verify(item, request.user, request.role),
        "days_since_update": opl.days_since_update(item)})


@read_required
def opl_edit(request, pk):
    item = _get_item(pk, request.tenant.today())
    if not opl.can_edit(item, request.user, request.role):
        messages.error(request, _("You may not edit this item."))
        return redirect("opl_detail", pk=item.pk)
    form = OplItemForm(request.POST or None, instance=item, tenant=request.tenant,
                       customers=roles.editable_customers(request, None))
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.update_item(OplItem.objects.get(pk=item.pk), user=request.user,
                                 role=request.role, **fields)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("OPL item saved."))
            return redirect("opl_detail", pk=item.pk)
    return page(request, "satisfaction/form.html", {
        "form": form, "title": _("Edit OPL item"),
        "cancel_url": reverse("opl_detail", args=[item.pk])})


@read_required
@require_POST
def opl_update(request, pk):
    today = request.tenant.today()
    item = _get_item(pk, today)
    if not opl.can_update(item, request.user, request.role):
        messages.error(request, _("You may not update this item."))
        return redirect("opl_detail", pk=item.pk)
    form = OplUpdateForm(request.POST, item=item)
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                services.add_update(OplItem.objects.select_for_update().get(pk=item.pk),
                                    user=request.user, role=request.role, note=data["note"],
                                    progress=data["progress"], status=data["status"] or None,
                                    status_reason=data["status_reason"],
                                    verification=data["verification"])
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Progress update saved."))
            return redirect("opl_detail", pk=item.pk)
    return page(request, "satisfaction/opl_detail.html", {
        "item": item, "log": selectors.item_log(item), "form": form,
        "can_edit": opl.can_edit(item, request.user, request.role),
        "can_verify": opl.can_verify(item, request.user, request.role),
        "days_since_update": opl.days_since_update(item)}, status=400)


@read_required
def proposal_list(request):
    proposals = Paginator(selectors.pending_proposals(), PAGE_SIZE).get_page(
        request.GET.get("page"))
    if roles.allows(request.role, "create_opl_items"):
        editable = roles.editable_customer_ids(request.tenant, request.user, request.role)
        for proposal in proposals:
            proposal.decidable = editable is None or proposal.customer_id in editable
    return page(request, "satisfaction/proposal_list.html", {"page": proposals})


def _get_decidable_proposal(request, pk, queryset=OplProposal.objects):
    """A proposal the user may accept or dismiss: 404 if not the tenant's, 403 unless
    they may open items on its account."""
    proposal = get_object_or_404(queryset, pk=pk)
    if not opl.can_create_for(request.user, request.role, proposal.customer):
        raise PermissionDenied(_("Only the account's team and administrators decide its "
                                 "proposals."))
    return proposal


@opl_create_required
def proposal_accept(request, pk):
    proposal = _get_decidable_proposal(
        request, pk, OplProposal.objects.select_related("customer", "answer"))
    if proposal.status != OplProposal.Status.PENDING:
        messages.info(request, _("This proposal has already been decided."))
        return redirect("opl_proposals")
    form = OplItemForm(request.POST or None, tenant=request.tenant,
                       initial=services.proposal_defaults(proposal, request.tenant.today()),
                       customers=roles.editable_customers(request, None))
    if request.method == "POST" and form.is_valid():
        try:
            item = services.accept_proposal(proposal, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("OPL item opened from the survey answer.")
                             if proposal.answer_id else
                             _("OPL item opened from the health drop."))
            return redirect("opl_detail", pk=item.pk)
    return page(request, "satisfaction/form.html", {
        "form": form, "title": _("Accept the proposed OPL item"),
        "intro": proposal.description, "cancel_url": reverse("opl_proposals")})


@opl_create_required
@require_POST
def proposal_dismiss(request, pk):
    proposal = _get_decidable_proposal(request, pk, OplProposal.objects.select_related(
        "customer"))
    try:
        services.dismiss_proposal(proposal, user=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.info(request, message)
    else:
        messages.success(request, _("Proposal dismissed."))
    return redirect("opl_proposals")

