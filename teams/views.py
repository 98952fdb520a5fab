"""Account team pages: team list, my teams, team page (the iron triangle), region overview,
the executives' list of A-tier accounts without a complete triangle, reviews, coefficients
and recognitions. Thin glue over selectors, services and the rules modules."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import roles
from accounts.permissions import tenant_required
from accounts.selectors import tenant_members
from customers.models import Region, Tier
from records.history import history_page

from . import coefficients, permissions, selectors, services, triangle
from .forms import MemberForm, RecognitionForm, ReviewForm, TeamForm
from .models import Recognition, Review, Team, TeamMember

PAGE_SIZE = 25


def _add_errors(form, exc):
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _submit(request, form):
    """Save a valid POSTed form through its service; the saved object or None."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        with transaction.atomic():
            return form.save()
    except ValidationError as exc:
        _add_errors(form, exc)
    return None


def _team_or_404(pk):
    return get_object_or_404(Team.objects.select_related("customer", "customer__region"), pk=pk)


def _require_edit(request, team):
    if not permissions.can_edit_team(request, None, team):
        raise PermissionDenied(_("Only an administrator or an account manager on this team "
                                 "may change it."))


def _team_rows(page_teams, today):
    """Rows for team tables: team, triangle, coefficient of last year, allocation."""
    return [{"team": team, "triangle": triangle.triangle(team, today),
             "missing": triangle.missing_roles(team)} for team in page_teams]


# --- lists ---------------------------------------------------------------------------


@tenant_required()
def team_list(request):
    today = request.tenant.today()
    queryset = selectors.teams(today)
    status = request.GET.get("triangle", "")
    if status in ("complete", "incomplete"):
        queryset = queryset.filter(triangle_complete=status == "complete")
    tier = request.GET.get("tier", "")
    if tier in Tier.values:
        queryset = queryset.filter(customer__tier=tier)
    region = request.GET.get("region", "")
    if region.isdigit():
        queryset = queryset.filter(customer__region_id=int(region))
    query = request.GET.get("q", "").strip()
    if query:
        queryset = queryset.filter(customer__name__icontains=query)
    page = Paginator(queryset.order_by("customer__name", "id"), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "teams/team_list.html", {
        "page": page, "rows": _team_rows(page, today), "status": status, "tier": tier,
        "region": region, "q": query, "regions": Region.objects.order_by("name"),
        "tiers": Tier.choices,
        "without_team": selectors.customers_without_team().count(),
    })


@tenant_required()
def my_teams(request):
    today = request.tenant.today()
    teams = list(selectors.my_teams(request.user, today))
    my_roles = selectors.my_roles(request.user, today)
    allocation = selectors.allocation_total(request.user, today)
    rows = _team_rows(teams, today)
    for row in rows:
        row["my_roles"] = my_roles.get(row["team"].pk, [])
    reviews = selectors.reviews(request.user, request.role).filter(
        member__user=request.user)[:8]
    return render(request, "teams/my_teams.html", {
        "rows": rows, "allocation": allocation, "reviews": reviews,
        "talent": coefficients.talent_pool([request.user.pk]).get(request.user.pk),
    })


@tenant_required()
def region_overview(request):
    today = request.tenant.today()
    return render(request, "teams/region_overview.html", {
        "rows": selectors.region_overview(today),
    })


@tenant_required()
def region_detail(request, pk):
    region = get_object_or_404(Region.objects.select_related("leader"), pk=pk)
    today = request.tenant.today()
    customers = list(selectors.region_customers(region, today))
    for customer in customers:
        customer.missing = triangle.missing_roles(customer)
    return render(request, "teams/region_detail.html", {
        "region": region, "customers": customers,
        "complete": sum(1 for c in customers if c.triangle_complete),
    })


@tenant_required()
def incomplete_a_tier(request):
    """Every A-tier customer without a complete triangle (for executives; all may read)."""
    today = request.tenant.today()
    customers = list(selectors.incomplete_a_tier(today))
    for customer in customers:
        customer.missing = triangle.missing_roles(customer)
    return render(request, "teams/incomplete_a_tier.html", {
        "customers": customers,
    })


# --- one team ------------------------------------------------------------------------


@tenant_required()
def team_detail(request, pk):
    today = request.tenant.today()
    team = get_object_or_404(selectors.teams(today), pk=pk)
    data = triangle.triangle(team, today)
    history = selectors.team_history(team)
    user_ids = {member.user_id for member in history}
    allocations = selectors.allocation_totals(user_ids, today)
    talent = coefficients.talent_pool(user_ids)
    for member in data["supporting"] + [c["member"] for c in data["corners"] if c["member"]]:
        member.total_allocation = allocations.get(member.user_id, 0)
        member.talent = talent.get(member.user_id)
    for member in history:
        member.active = member.is_active_on(today)
        member.talent = talent.get(member.user_id)
    by_year = coefficients.team_coefficients([team]).get(team.pk, {})
    return render(request, "teams/team_detail.html", {
        "team": team, "customer": team.customer, "triangle": data, "history": history,
        "hints": triangle.coverage_hints(team.customer),
        "coefficients": [by_year[year] for year in sorted(by_year, reverse=True)],
        "formula": coefficients.FORMULA,
        "reviews": selectors.reviews(request.user, request.role).filter(member__team=team)[:20],
        "recognitions": selectors.recognitions().filter(team=team),
        "can_edit": permissions.can_edit_team(request, None, team),
        "can_review": permissions.can_review(request, None, team),
        "today": today,
        "record_history": history_page(request, team),
    })


@tenant_required("manage_workspace")
def team_create(request):
    initial = {}
    if request.GET.get("customer", "").isdigit():
        initial["customer"] = int(request.GET["customer"])
    form = TeamForm(request.POST or None, tenant=request.tenant, initial=initial)
    team = _submit(request, form)
    if team is not None:
        messages.success(request, _("Team for %(customer)s created; now add the AR, SR and "
                                    "FR.") % {"customer": team.customer})
        return redirect("team_detail", pk=team.pk)
    return render(request, "teams/team_form.html", {"form": form})


@tenant_required()
def team_edit(request, pk):
    team = _team_or_404(pk)
    _require_edit(request, team)
    form = TeamForm(request.POST or None, instance=team, tenant=request.tenant)
    if _submit(request, form) is not None:
        messages.success(request, _("Team saved."))
        return redirect("team_detail", pk=team.pk)
    return render(request, "teams/team_form.html", {"form": form, "team": team})


def _member_saved(request, form, member):
    messages.success(request, _("%(name)s saved as %(role)s.") % {
        "name": member.user, "role": member.get_role_display()})
    if form.warning:
        messages.warning(request, form.warning)
    return redirect("team_detail", pk=member.team_id)


@tenant_required()
def member_add(request, team_pk):
    team = _team_or_404(team_pk)
    _require_edit(request, team)
    initial = {"role": request.GET["role"]} if request.GET.get("role") else {}
    form = MemberForm(request.POST or None, team=team, tenant=request.tenant, initial=initial)
    member = _submit(request, form)
    if member is not None:
        return _member_saved(request, form, member)
    return render(request, "teams/member_form.html", {"form": form, "team": team})


@tenant_required()
def member_edit(request, team_pk, pk):
    team = _team_or_404(team_pk)
    member = get_object_or_404(TeamMember.objects.select_related("user"), pk=pk, team=team)
    _require_edit(request, team)
    form = MemberForm(request.POST or None, instance=member, team=team, tenant=request.tenant)
    saved = _submit(request, form)
    if saved is not None:
        return _member_saved(request, form, saved)
    return render(request, "teams/member_form.html", {"form": form, "team": team,
                                                      "member": member})


@require_POST
@tenant_required()
def member_end(request, team_pk, pk):
    team = _team_or_404(team_pk)
    member = get_object_or_404(TeamMember.objects.select_related("user"), pk=pk, team=team)
    _require_edit(request, team)
    try:
        with transaction.atomic():
            services.end_member(member)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(name)s's membership ends on %(date)s.") % {
            "name": member.user, "date": member.end_on})
    return redirect("team_detail", pk=team.pk)


# --- reviews -------------------------------------------------------------------------


@tenant_required()
def review_list(request):
    reviews = selectors.reviews(request.user, request.role)
    year = request.GET.get("year", "")
    if year.isdigit():
        reviews = reviews.filter(period__startswith=year)
    page = Paginator(reviews.order_by("-period", "member__team__customer__name", "id"),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "teams/review_list.html", {"page": page, "year": year})


@tenant_required()
def review_detail(request, pk):
    review = get_object_or_404(selectors.reviews(request.user, request.role), pk=pk)
    team = review.member.team
    return render(request, "teams/review_detail.html", {
        "review": review, "team": team,
        "can_edit": permissions.can_review(request, None, team),
    })


def _review_form(request, team, instance=None):
    kwargs = {"instance": instance} if instance is not None else {}
    initial = {}
    if instance is None and request.GET.get("member", "").isdigit():
        member = TeamMember.objects.filter(team=team, pk=int(request.GET["member"])).first()
        if member is not None:
            initial["member"] = member.pk
            last = Review.objects.filter(member=member).order_by("-period").first()
            if last is not None:
                initial["objectives"] = last.next_objectives
    return ReviewForm(request.POST or None, team=team, tenant=request.tenant,
                      user=request.user,
                      may_choose_reviewer=roles.allows(request.role, "manage_reviews"),
                      initial=initial, **kwargs)


@tenant_required("write_reviews")
def review_add(request, team_pk):
    team = _team_or_404(team_pk)
    if not permissions.can_review(request, None, team):
        raise PermissionDenied(_("Only the team's AR, the region leader or an administrator "
                                 "reviews its members."))
    form = _review_form(request, team)
    review = _submit(request, form)
    if review is not None:
        messages.success(request, _("Review of %(name)s for %(period)s saved.") % {
            "name": review.member.user, "period": review.period})
        return redirect("team_detail", pk=team.pk)
    return render(request, "teams/review_form.html", {"form": form, "team": team})


@tenant_required("write_reviews")
def review_edit(request, pk):
    review = get_object_or_404(selectors.reviews(request.user, request.role), pk=pk)
    team = review.member.team
    if not permissions.can_review(request, None, team):
        raise PermissionDenied(_("Only the team's AR, the region leader or an administrator "
                                 "reviews its members."))
    form = _review_form(request, team, instance=review)
    if _submit(request, form) is not None:
        messages.success(request, _("Review saved."))
        return redirect("review_detail", pk=review.pk)
    return render(request, "teams/review_form.html", {"form": form, "team": team,
                                                      "review": review})


# --- coefficients and recognition ----------------------------------------------------


@tenant_required()
def coefficient_overview(request):
    """Team coefficients of the last three years, the talent pool and recognitions."""
    today = request.tenant.today()
    years = [today.year - 2, today.year - 1, today.year]
    teams = list(Team.objects.select_related("customer").order_by("customer__name"))
    values = coefficients.team_coefficients(teams, years=set(years))
    rows = [{"team": team, "years": [values.get(team.pk, {}).get(year) for year in years]}
            for team in teams]
    by_year = {year: sorted((r for r in rows if values.get(r["team"].pk, {}).get(year)),
                            key=lambda r, y=year: -values[r["team"].pk][y]["value"])
               for year in years}
    pool = coefficients.talent_pool()
    people = {user.pk: user for user in tenant_members(request.tenant)
              .filter(pk__in=pool)}
    annual = coefficients.annual_member_coefficients(list(pool))
    return render(request, "teams/coefficients.html", {
        "years": years, "rows": rows, "formula": coefficients.FORMULA,
        "talent_rule": coefficients.TALENT_RULE,
        "leaders": {year: by_year[year][:1] for year in years},
        "talent": [{"user": people.get(user_id),
                    "years": [(year, annual[user_id][year]) for year in streak]}
                   for user_id, streak in pool.items() if user_id in people],
        "recognitions": selectors.recognitions()[:30],
    })


@tenant_required("give_recognition")
def recognition_add(request):
    form = RecognitionForm(request.POST or None, tenant=request.tenant, user=request.user)
    recognition = _submit(request, form)
    if recognition is not None:
        messages.success(request, _("Recognition saved: %(what)s.") % {"what": recognition})
        return redirect("team_coefficients")
    return render(request, "teams/recognition_form.html", {"form": form})


@require_POST
@tenant_required("give_recognition")
def recognition_delete(request, pk):
    recognition = get_object_or_404(Recognition, pk=pk)
    recognition.delete()
    messages.success(request, _("Recognition removed."))
    return redirect("team_coefficients")
