"""Demo satisfaction data for `manage.py seed_demo`: runs after the customers' seed.

Four quarters of campaigns (three closed, the current one open and partly answered) for
the A and B tier customers, with a realistic spread: most departments content, some
weak spots that persist (one customer's logistics, another's purchasing on cost) and
one account that recovers. OPL items in every state with their progress logs, and
proposals from low answers. Deterministic and idempotent: a tenant that already has
campaigns is left as it is. The `second` tenant gets one closed campaign.
"""

import random
from datetime import date, timedelta

from django.utils import timezone

from accounts.models import Membership, Role
from customers.models import Customer
from kam.periods import Quarter

from . import services
from .models import Campaign, OplItem, OplProposal, Question, Survey

# Customers (by code) with a weak department: (department, mean shift on a 1–5 scale).
WEAK_SPOTS = {"CJA": ("logistics", -1.6), "HAM": ("purchasing", -1.3),
              "EWN": ("engineering", -1.1), "GWM": ("quality", -1.4),
              "RHM": ("logistics", -1.2)}
RECOVERING = {"ZJG": 0.45}  # the account's mean rises this much per quarter

COMMENTS = [
    "Quality has improved since the new resident engineer arrived.",
    "Deliveries were late twice during the ramp-up; please secure capacity.",
    "Prices are above the market for the door-trim family.",
    "Very responsive team on the last engineering change.",
    "Communication of the tooling delays came too late.",
    "8D reports are thorough but take too long.",
    "",
    "",
]


def _quarters(today, count):
    """(year, quarter) of the last `count` quarters, this one included, oldest first."""
    current = Quarter.of(today)
    return [((current - back).year, (current - back).number) for back in range(count - 1, -1, -1)]


def _score(rng, mean, scale_max):
    return max(1, min(scale_max, round(rng.gauss(mean, 0.7))))


def seed(tenant):
    if Campaign.objects.exists():
        return
    rng = random.Random(f"kam-satisfaction-{tenant.slug}")
    template = services.ensure_default_template(tenant)
    customers = list(Customer.objects.filter(is_active=True, tier__in=["A", "B"])
                     .order_by("code"))
    if not customers:
        customers = list(Customer.objects.filter(is_active=True).order_by("code")[:6])
    if not customers:
        return
    people = {role: [] for role in Role.values}
    for membership in Membership.objects.filter(is_active=True).select_related("user"):
        people[membership.role].append(membership.user)
    staff = people[Role.MANAGER] + people[Role.MEMBER] or people[Role.ADMIN]
    fallback = (people[Role.ADMIN] or staff or [None])[0]
    today = tenant.today()
    quarters = _quarters(today, 4 if tenant.slug == "demo" else 1)
    if tenant.slug != "demo":
        quarters = _quarters(today, 2)[:1]
        customers = customers[:4]
    base = {c.pk: rng.uniform(3.7, 4.6) for c in customers}
    for number, (year, quarter) in enumerate(quarters):
        last = number == len(quarters) - 1 and tenant.slug == "demo"
        closes_on = today + timedelta(days=21) if last else date(year, quarter * 3, 20)
        campaign = services.create_campaign(tenant, year=year, quarter=quarter,
                                            template=template,
                                            closes_on=closes_on if last else today,
                                            customers=customers)
        services.open_campaign(campaign)
        _answer(rng, tenant, campaign, base, number, partial=last)
        if not last:
            services.close_campaign(campaign)
            Campaign.objects.filter(pk=campaign.pk).update(closes_on=closes_on)
    _opl(rng, tenant, staff, customers, fallback,
         STATE_PLAN if tenant.slug == "demo" else STATE_PLAN[3:7])


def _answer(rng, tenant, campaign, base, number, partial):
    surveys = Survey.objects.filter(campaign=campaign).select_related("customer", "template",
                                                                      "campaign")
    questions = list(Question.objects.filter(template=campaign.template, is_active=True))
    for survey in surveys:
        customer = survey.customer
        for department in services.template_departments(campaign.template):
            if rng.random() < (0.45 if partial else 0.12):
                continue  # not answered (yet)
            mean = base[customer.pk] + RECOVERING.get(customer.code, 0) * number
            if customer.code in RECOVERING:
                mean -= 1.2
            weak = WEAK_SPOTS.get(customer.code)
            if weak and weak[0] == department:
                mean += weak[1]
            scores = {q.pk: _score(rng, mean, survey.scale_max) for q in questions
                      if department in q.departments}
            low = min(scores.values())
            services.save_response(
                survey, department=department, scores=scores,
                recommend=max(0, min(10, round(rng.gauss(mean * 2 + 0.4, 1.3)))),
                comment=rng.choice(COMMENTS) if low <= 3 or rng.random() < 0.3 else "",
                respondent=f"{department.title()} team",
                source="agency" if rng.random() < 0.3 else "online")


STORIES = [
    ("Late deliveries of door panels to the Shanghai plant", "logistics", "high",
     "Safety stock at the hub too low after the volume increase.",
     "Raise hub safety stock to 3 days; second shift on the lamination line."),
    ("Price gap on instrument panel skins vs. competitor quote", "purchasing", "high",
     "Material cost of TPO skins up 12 % since nomination.",
     "VA/VE workshop with customer engineering; alternative skin supplier."),
    ("Squeak and rattle on centre console, 8D open", "quality", "critical",
     "Clip tolerance stack-up at the armrest hinge.",
     "Modified clip, tool correction T2, 100 % end-of-line check."),
    ("Slow answers to engineering change requests", "engineering", "medium",
     "Changes routed through three approvals.",
     "Single point of contact and a 48-hour answer rule."),
    ("Packaging damage on seat covers", "logistics", "medium",
     "Returnable racks worn out.", "Replace 120 racks; add inspection at loading."),
    ("Monthly quality report in customer format", "quality", "low", "", ""),
    ("Cost-down proposal for the 2027 facelift", "purchasing", "medium", "", ""),
    ("Resident engineer for SOP of new BEV platform", "engineering", "high", "", ""),
]
STATE_PLAN = ["open", "in_progress", "in_progress", "blocked", "done", "verified",
              "cancelled", "open", "in_progress", "done", "verified", "in_progress"]


def _opl(rng, tenant, staff, customers, fallback, plan):
    today = tenant.today()
    now = timezone.now()
    for index, state in enumerate(plan):
        customer = customers[index % len(customers)]
        title, department, priority, cause, action = STORIES[index % len(STORIES)]
        owner = staff[index % len(staff)] if staff else None
        opened = today - timedelta(days=rng.randint(20, 90))
        item = services.create_item(
            tenant, user=customer.owner or owner, opened_on=opened, customer=customer,
            source=rng.choice(["meeting", "visit", "audit", "other"]), title=title,
            department=department, priority=priority, owner=owner,
            description="Raised by the customer in the quarterly review.",
            due_date=today + timedelta(days=rng.randint(-25, 40)), root_cause=cause,
            action=action)
        accountable = item.accountable or owner or fallback
        # Someone other than the owner verifies the fix (satisfaction.opl.can_verify).
        verifier = next((user for user in (accountable, fallback)
                         if user is not None and user != owner), None)
        role = Role.ADMIN
        steps = {"open": [], "in_progress": ["in_progress"], "blocked": ["in_progress", "blocked"],
                 "done": ["in_progress", "done"], "verified": ["in_progress", "done", "verified"],
                 "cancelled": ["cancelled"]}[state]
        if verifier is None:
            steps = [step for step in steps if step != "verified"]
        progress = 0
        for step in steps:
            progress = {"in_progress": rng.choice([20, 40, 60]), "blocked": progress,
                        "done": 100, "verified": 100, "cancelled": progress}[step]
            services.add_update(
                item, user=verifier if step == "verified" else accountable, role=role,
                note={"in_progress": "Containment agreed with the customer; analysis started.",
                      "blocked": "Waiting for the customer's drawing release.",
                      "done": "Action implemented at the plant.",
                      "verified": "Checked at the customer's plant: no new complaints.",
                      "cancelled": "Customer withdrew the request."}[step],
                progress=progress, status=step,
                status_reason="Depends on customer input." if step in ("blocked", "cancelled")
                else "",
                verification="Three weeks of deliveries without a complaint."
                if step == "verified" else "")
        # Backdate the log so some items are stale.
        stale = index % 4 == 1 and state in ("open", "in_progress", "blocked")
        age = timedelta(days=rng.randint(16, 30) if stale else rng.randint(0, 10))
        OplItem.objects.filter(pk=item.pk).update(last_update_at=now - age)
        item.updates.update(created_at=now - age)
    # Accept one proposal, dismiss one; the rest wait for the KAMs.
    proposals = list(OplProposal.objects.filter(status="pending").order_by("pk")[:2])
    if proposals:
        first = proposals[0]
        services.accept_proposal(first, user=first.customer.owner or fallback,
                                 **services.proposal_defaults(first, today))
    if len(proposals) > 1:
        services.dismiss_proposal(proposals[1], user=proposals[1].customer.owner or fallback)
