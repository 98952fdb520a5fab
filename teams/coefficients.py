"""Team coefficient per year, members' annual coefficients and the talent pool.

Formulas (shown in the UI too, from `FORMULA`):

- A **member's annual coefficient** for a year is the mean of the coefficients (0–1.0) of
  all their quarterly reviews in that year, over every team they were reviewed on.
- A **team's coefficient** for a year (0–1.0)::

      M = Σ aᵢ·cᵢ / Σ aᵢ    over the team's member rows reviewed that year, where cᵢ is the
                            mean coefficient of row i's reviews that year and aᵢ its
                            allocation % (a plain mean when every allocation is 0)
      R = min(1, revenue of the year ÷ revenue target of that year's account plan)
      team = 0.6 × M + 0.4 × R   when the customer has an account plan for the year with a
                                 revenue target above 0
      team = M                   when it has none (the members' part only)

  rounded to two decimals; no value when nobody on the team was reviewed that year.
  "Revenue of the year" is the sum of the customer's quarterly figures whose period lies
  in that year. Both parts are at most 1, so the team coefficient is at most 1.0.
- **Talent pool**: a person whose annual coefficient is ≥ 0.9 in three consecutive years.

Every function here runs a fixed number of queries, whatever the number of teams.
"""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Sum
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _

from customers.models import AccountPlan, PeriodFigure

from .models import Review

MEMBER_WEIGHT = Decimal("0.6")
OUTCOME_WEIGHT = Decimal("0.4")
TALENT_THRESHOLD = Decimal("0.9")
TALENT_YEARS = 3
TWO_PLACES = Decimal("0.01")

FORMULA = _(
    "Team coefficient = 0.6 × M + 0.4 × R, where M is the allocation-weighted mean of the "
    "members' review coefficients of the year and R = min(1, the customer's revenue of the "
    "year ÷ the account plan's revenue target). Without an account plan for the year the "
    "team coefficient is M. Both parts are at most 1, so the result is at most 1.0.")
TALENT_RULE = _("Talent pool: an annual coefficient of at least 0.9 in three consecutive "
                "years (the mean of the person's quarterly review coefficients of each year).")


def _decimal(value):
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _round(value):
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def combine(member_part, revenue=None, target=None):
    """The team coefficient from its two parts (see the module's docstring)."""
    if member_part is None:
        return None
    member_part = min(Decimal(1), max(Decimal(0), _decimal(member_part)))
    if target is None or _decimal(target) <= 0:
        return _round(member_part)
    outcome = min(Decimal(1), _decimal(revenue or 0) / _decimal(target))
    return _round(MEMBER_WEIGHT * member_part + OUTCOME_WEIGHT * outcome)


def weighted_member_part(rows):
    """M from (allocation, mean coefficient) pairs."""
    rows = [(Decimal(allocation or 0), _decimal(coefficient)) for allocation, coefficient in rows]
    if not rows:
        return None
    total = sum(allocation for allocation, _c in rows)
    if total == 0:
        return sum(c for _a, c in rows) / len(rows)
    return sum(allocation * c for allocation, c in rows) / total


def team_coefficients(teams, years=None):
    """{team id: {year: {value, member_part, outcome, revenue, target}}} for `teams`
    (Team objects with their customer id), in three queries. `years` limits the years."""
    teams = list(teams)
    by_customer = {team.customer_id: team.pk for team in teams}
    reviews = (Review.objects.filter(member__team__in=[team.pk for team in teams])
               .annotate(year=Substr("period", 1, 4))
               .values("member_id", "member__team_id", "member__allocation", "year")
               .annotate(mean=Avg("coefficient")))
    pairs = defaultdict(list)
    for row in reviews:
        year = int(row["year"])
        if years is None or year in years:
            pairs[row["member__team_id"], year].append((row["member__allocation"], row["mean"]))
    wanted = sorted({year for (_team, year) in pairs})
    revenue = defaultdict(Decimal)
    targets = {}
    if wanted:
        figures = (PeriodFigure.objects.filter(customer_id__in=by_customer)
                   .annotate(year=Substr("period", 1, 4))
                   .filter(year__in=[str(year) for year in wanted])
                   .values("customer_id", "year").annotate(total=Sum("revenue")))
        for row in figures:
            revenue[row["customer_id"], int(row["year"])] = _decimal(row["total"] or 0)
        for plan in AccountPlan.objects.filter(customer_id__in=by_customer, year__in=wanted) \
                .values("customer_id", "year", "revenue_target"):
            targets[plan["customer_id"], plan["year"]] = plan["revenue_target"]
    result = defaultdict(dict)
    for team in teams:
        for year in wanted:
            rows = pairs.get((team.pk, year))
            if not rows:
                continue
            member_part = weighted_member_part(rows)
            target = targets.get((team.customer_id, year))
            amount = revenue.get((team.customer_id, year), Decimal(0))
            has_plan = target is not None and target > 0
            result[team.pk][year] = {
                "year": year,
                "value": combine(member_part, amount, target),
                "member_part": _round(member_part),
                "outcome": _round(min(Decimal(1), amount / target)) if has_plan else None,
                "revenue": amount,
                "target": target if has_plan else None,
            }
    return dict(result)


def team_coefficient(team, year):
    """One team's coefficient details for one year, or None."""
    return team_coefficients([team], years={year}).get(team.pk, {}).get(year)


def annual_member_coefficients(user_ids=None):
    """{user id: {year: mean review coefficient}} in one query."""
    reviews = Review.objects.all()
    if user_ids is not None:
        reviews = reviews.filter(member__user_id__in=user_ids)
    rows = (reviews.annotate(year=Substr("period", 1, 4))
            .values("member__user_id", "year").annotate(mean=Avg("coefficient")))
    result = defaultdict(dict)
    for row in rows:
        result[row["member__user_id"]][int(row["year"])] = _round(_decimal(row["mean"]))
    return dict(result)


def talent_streak(by_year):
    """The latest run of TALENT_YEARS consecutive years ≥ TALENT_THRESHOLD, or []."""
    best = []
    run = []
    for year in sorted(by_year):
        if by_year[year] >= TALENT_THRESHOLD and (not run or run[-1] == year - 1):
            run.append(year)
        elif by_year[year] >= TALENT_THRESHOLD:
            run = [year]
        else:
            run = []
        if len(run) >= TALENT_YEARS:
            best = run[-TALENT_YEARS:]
    return best


def talent_pool(user_ids=None):
    """{user id: [the three years]} of the people who qualify for the talent pool."""
    pool = {}
    for user_id, by_year in annual_member_coefficients(user_ids).items():
        streak = talent_streak(by_year)
        if streak:
            pool[user_id] = streak
    return pool
