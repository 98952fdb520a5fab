"""Programme pages: list, detail (milestones, timeline, risks, PPAP, history), portfolio
timeline, milestone and risk edits, bulk re-dating, the milestone template. Thin glue over
`projects.services` and `projects.selectors`."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import roles
from accounts.permissions import admin_required, tenant_required
from records import history

from . import selectors, services, timeline
from .filters import PROGRAMME_RAG_CHOICES, ProgrammeFilter
from .forms import (
    MilestoneForm,
    PpapElementForm,
    PpapLevelForm,
    ProgrammeForm,
    RedateForm,
    RiskForm,
    SettingsForm,
    template_forms,
)
from .models import Milestone, MilestoneKind, Risk

PAGE_SIZE = 25

# Editing programmes at all; for one programme, managers only edit those of the accounts
# whose team they are on (accounts.roles.can_edit_account).
edit_required = tenant_required("edit_accounts")


def page(request, template, context=None):
    flags = {"can_edit": roles.allows(request.role, "edit_accounts")}
    return render(request, template, {**flags, **(context or {})})


def add_errors(form, exc):
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def get_programme(pk):
    return get_object_or_404(selectors.programmes(), pk=pk)


def get_editable_programme(request, pk):
    """The programme for an edit page: 404 if not the tenant's, 403 unless the user may
    edit its account (admins, and managers on the account's team)."""
    programme = get_programme(pk)
    if not roles.can_edit_account(request, None, programme.customer):
        raise PermissionDenied(_("Only the account's team and administrators edit its "
                                 "programmes."))
    return programme


def get_milestone(programme_pk, pk):
    return get_object_or_404(Milestone.objects.select_related("programme__customer", "tenant"),
                             pk=pk, programme_id=programme_pk)


def can_edit_milestone(request, milestone, account_editable=None):
    """The account's team and admins edit every milestone; a member the ones they own.
    `account_editable`: roles.can_edit_account for the milestone's programme, when known."""
    if roles.edits_only_own_items(request.role):
        return milestone.owner_id == request.user.pk
    if account_editable is None:
        account_editable = roles.can_edit_account(request, None, milestone.programme.customer)
    return account_editable


def style_filters(form):
    form.fields["stage"].widget.attrs.update(
        size=3, title=_("Ctrl-click (⌘-click) to choose several stages"))
    form.fields["customer"].empty_label = _("All customers")
    form.fields["project_manager"].empty_label = _("All project managers")
    form.fields["rag"].empty_label = _("Any colour")
    form.fields["rag"].choices = PROGRAMME_RAG_CHOICES
    form.fields["open"].widget.choices = [("unknown", _("Open and closed")),
                                          ("true", _("Open only")), ("false", _("Lost or "
                                                                                "closed"))]
    for name, field in form.fields.items():
        if name in ("q", "sop_from", "sop_to", "as_of"):
            field.widget.attrs["class"] = "form-control form-control-sm"
            if name != "q":
                field.widget.input_type = "date"
        else:
            field.widget.attrs["class"] = "form-select form-select-sm"
    form.fields["q"].widget.attrs["placeholder"] = _("Code, name, vehicle, customer")
    return form


def _filtered(request, filterset):
    return any(request.GET.get(name) not in (None, "", "unknown")
               for name in filterset.form.fields)


def _as_of(request):
    """`?as_of=YYYY-MM-DD`: see the page as it was (or will be) judged on that day."""
    try:
        return date.fromisoformat(request.GET.get("as_of", ""))
    except ValueError:
        return None


# --- programmes ----------------------------------------------------------------------


@tenant_required()
def programme_list(request):
    filterset = ProgrammeFilter(request.GET or None, queryset=selectors.programmes(),
                                request=request)
    style_filters(filterset.form)
    on, policy = filterset.judging()
    queryset = filterset.qs.order_by("sop_date", "code", "id")
    page_obj = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    selectors.attach_programme_rag(page_obj.object_list, on, policy)
    return page(request, "projects/programme_list.html", {
        "filterset": filterset, "form": filterset.form, "page": page_obj, "on": on,
        "filtered": _filtered(request, filterset), "policy": policy,
    })


@tenant_required()
def portfolio(request):
    filterset = ProgrammeFilter(request.GET or None, queryset=selectors.programmes(),
                                request=request)
    style_filters(filterset.form)
    on, policy = filterset.judging()
    rows = selectors.portfolio(filterset.qs, on, policy)
    return page(request, "projects/portfolio.html", {
        "form": filterset.form, "rows": rows, "on": on, "policy": policy,
        "chart": timeline.portfolio_timeline(rows, on),
        "counts": selectors.rag_counts(rows), "filtered": _filtered(request, filterset),
    })


@edit_required
def programme_create(request):
    form = ProgrammeForm(request.POST or None, tenant=request.tenant,
                         customers=roles.editable_customers(request, None),
                         initial={"project_manager": request.user.pk,
                                  "customer": request.GET.get("customer")})
    if request.method == "POST" and form.is_valid():
        try:
            programme = services.create_programme(tenant=request.tenant, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        except IntegrityError:
            form.add_error("code", _("Another programme already has this code."))
        else:
            messages.success(request, _("Programme %(code)s created with its milestones.")
                             % {"code": programme.code})
            return redirect("programme_detail", pk=programme.pk)
    return page(request, "projects/programme_form.html", {"form": form})


@edit_required
def programme_edit(request, pk):
    programme = get_editable_programme(request, pk)
    form = ProgrammeForm(request.POST or None, instance=programme, tenant=request.tenant,
                         customers=roles.editable_customers(request, None))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.update_programme(programme, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        except IntegrityError:
            form.add_error("code", _("Another programme already has this code."))
        else:
            messages.success(request, _("Changes saved."))
            return redirect("programme_detail", pk=programme.pk)
    return page(request, "projects/programme_form.html", {"form": form,
                                                          "programme": programme})


@tenant_required()
def programme_detail(request, pk):
    programme = get_programme(pk)
    on, policy = selectors.context_for(request.tenant, _as_of(request))
    milestones = selectors.programme_milestones(programme, on, policy)
    colour, worst = selectors.programme_rag_of(milestones, programme)
    risks = selectors.programme_risks(programme)
    elements = selectors.ppap_elements(programme)
    account_editable = roles.can_edit_account(request, None, programme.customer)
    for milestone in milestones:
        milestone.editable = can_edit_milestone(request, milestone, account_editable)
    return page(request, "projects/programme_detail.html", {
        "can_edit": account_editable, "programme": programme, "on": on, "policy": policy,
        "milestones": milestones,
        "rag": colour, "worst": worst, "chart": timeline.programme_timeline(milestones, on),
        "risks": risks, "matrix": selectors.risk_matrix(risks),
        "elements": elements, "ppap": selectors.ppap_summary(elements),
        "history": selectors.programme_history(programme),
        "record_history": history.history_page(request, programme),
        "psw": next((m for m in milestones if m.kind == MilestoneKind.PPAP_APPROVAL), None),
    })


# --- milestones ----------------------------------------------------------------------


@edit_required
def milestone_add(request, programme_pk):
    programme = get_editable_programme(request, programme_pk)
    form = MilestoneForm(request.POST or None, tenant=request.tenant,
                         instance=Milestone(programme=programme, tenant=request.tenant))
    if request.method == "POST" and form.is_valid():
        try:
            services.add_milestone(programme, user=request.user, **form.changes())
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Milestone added."))
            return redirect("programme_detail", pk=programme.pk)
    return page(request, "projects/milestone_form.html", {"form": form,
                                                          "programme": programme})


@tenant_required()
def milestone_edit(request, programme_pk, pk):
    """A milestone's form and history; those who may not change it see the history."""
    milestone = get_milestone(programme_pk, pk)
    programme = milestone.programme
    form = None
    if can_edit_milestone(request, milestone):
        form = MilestoneForm(request.POST or None, instance=milestone, tenant=request.tenant,
                             owner_only=roles.edits_only_own_items(request.role))
    elif request.method == "POST":
        raise PermissionDenied(_("Only the account's team, administrators and the "
                                 "milestone's owner change it."))
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            changes = services.update_milestone(
                milestone, user=request.user, reason=form.cleaned_data.get("reason", ""),
                **form.changes())
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            if changes:
                messages.success(request, _("%(milestone)s saved; the change is in its "
                                            "history.") % {"milestone": milestone.label})
            return redirect("programme_detail", pk=programme.pk)
    on, policy = selectors.context_for(request.tenant)
    selectors.attach_milestone_rag([milestone], on, policy)
    return page(request, "projects/milestone_form.html", {
        "form": form, "programme": programme, "milestone": milestone,
        "history": selectors.milestone_history(milestone),
    })


@edit_required
@require_POST
def milestone_delete(request, programme_pk, pk):
    get_editable_programme(request, programme_pk)
    milestone = get_milestone(programme_pk, pk)
    try:
        services.remove_milestone(milestone)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Milestone %(milestone)s removed.")
                         % {"milestone": milestone.label})
    return redirect("programme_detail", pk=programme_pk)


@edit_required
def milestone_redate(request, programme_pk):
    """Re-date many milestones of a programme at once: all saved, or none."""
    programme = get_editable_programme(request, programme_pk)
    milestones = list(programme.milestones.select_related("tenant", "programme")
                      .exclude(status="done").order_by("planned_date", "id"))
    form = RedateForm(request.POST or None, milestones=milestones)
    row_errors = {}
    if request.method == "POST" and form.is_valid():
        rows = form.changes()
        if not rows:
            messages.info(request, _("No date was changed."))
            return redirect("programme_detail", pk=programme.pk)
        try:
            services.redate_milestones(rows, user=request.user,
                                       reason=form.cleaned_data["reason"])
        except services.RedateError as exc:
            for message in exc.reason:
                form.add_error("reason", message)
            for row, errors in zip(rows, exc.errors, strict=True):
                if errors:
                    row_errors[row["milestone"].pk] = [m for ms in errors.values() for m in ms]
            form.add_error(None, _("Nothing was saved: correct the rows marked below."))
        else:
            messages.success(request, _("%(count)s milestones re-dated.")
                             % {"count": len(rows)})
            return redirect("programme_detail", pk=programme.pk)
    rows = [(m, planned, forecast, row_errors.get(m.pk, []))
            for m, planned, forecast in form.rows()]
    return page(request, "projects/milestone_redate.html", {
        "form": form, "programme": programme, "rows": rows})


# --- risks and PPAP ------------------------------------------------------------------


@edit_required
def risk_add(request, programme_pk):
    programme = get_editable_programme(request, programme_pk)
    return _risk_form(request, programme, Risk(programme=programme, tenant=request.tenant))


@edit_required
def risk_edit(request, programme_pk, pk):
    programme = get_editable_programme(request, programme_pk)
    risk = get_object_or_404(Risk, pk=pk, programme=programme)
    return _risk_form(request, programme, risk)


def _risk_form(request, programme, risk):
    form = RiskForm(request.POST or None, instance=risk, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            form.save()
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Risk saved."))
            return redirect("programme_detail", pk=programme.pk)
    return page(request, "projects/risk_form.html", {"form": form, "programme": programme,
                                                     "risk": risk})


@edit_required
def ppap_edit(request, programme_pk):
    programme = get_editable_programme(request, programme_pk)
    elements = selectors.ppap_elements(programme)
    data = request.POST or None
    level_form = PpapLevelForm(data, instance=programme, prefix="level")
    element_forms = [PpapElementForm(data, instance=e, prefix=f"e{e.element}",
                                     tenant=request.tenant) for e in elements]
    if request.method == "POST" and level_form.is_valid() and all(
            f.is_valid() for f in element_forms):
        with transaction.atomic():
            level_form.save()
            for f in element_forms:
                if f.has_changed():
                    f.save()
        messages.success(request, _("PPAP package saved."))
        return redirect("programme_detail", pk=programme.pk)
    return page(request, "projects/ppap_form.html", {
        "programme": programme, "level_form": level_form,
        "rows": list(zip(elements, element_forms, strict=True))})


# --- settings and template -----------------------------------------------------------


@admin_required
def template_edit(request):
    tenant = request.tenant
    services.ensure_default_template(tenant)
    data = request.POST or None
    settings_form = SettingsForm(data, instance=services.programme_settings(tenant),
                                 prefix="settings")
    rows = template_forms(data)
    if request.method == "POST" and settings_form.is_valid() and all(
            f.is_valid() for f in rows):
        try:
            with transaction.atomic():
                settings_form.save()
                services.save_template(tenant, rows={
                    f.kind: (f.cleaned_data["offset_days"], f.cleaned_data["is_active"])
                    for f in rows})
        except ValidationError as exc:
            by_kind = {f.kind: f for f in rows}
            for kind, errors in exc.message_dict.items():
                target = by_kind.get(kind)
                if target is not None:
                    target.add_error("offset_days", errors)
                else:
                    settings_form.add_error(None, errors)
        else:
            messages.success(request, _("Milestone template and RAG settings saved. New "
                                        "programmes use them."))
            return redirect("programme_template")
    return page(request, "projects/template_form.html", {
        "settings_form": settings_form, "rows": rows,
        "has_errors": any(f.errors for f in rows) or bool(settings_form.errors)})

