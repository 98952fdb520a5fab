"""Demo customers for `manage.py seed_demo`: an automotive interior supplier's portfolio.

All names are invented. Deterministic (seeded random), and idempotent: a tenant that
already has customers is left as it is.
"""

import random
from datetime import timedelta
from decimal import Decimal

from accounts.models import Membership, Role
from kam import periods

from . import scoring
from .cadence import ensure_default_standards
from .models import (
    AccountPlan,
    Contact,
    Customer,
    Department,
    Initiative,
    Interaction,
    InteractionKind,
    Level,
    PeriodFigure,
    Region,
)

REGIONS = [
    ("east", "East China"), ("south", "South China"), ("north", "North China"),
    ("west", "West China"), ("europe", "Europe"), ("sea", "Southeast Asia"),
]

# (code, name, parent code, region, segment, city, country, stage)
DEMO_CUSTOMERS = [
    ("CJA", "Changjiang Automobile Group", "", "east", "oem_passenger", "Shanghai", "China", "key"),
    ("CJA-VW", "Changjiang–Wolfsberg JV", "CJA", "east", "joint_venture", "Shanghai", "China", "key"),
    ("HAM", "Huaan Motor Corporation", "", "south", "oem_passenger", "Guangzhou", "China", "key"),
    ("EWN", "Eastwind New Energy", "", "east", "nev", "Hangzhou", "China", "key"),
    ("BLD", "Bluedragon EV", "", "south", "nev", "Shenzhen", "China", "developing"),
    ("NSA", "Northstar Auto Works", "", "north", "oem_passenger", "Changchun", "China", "mature"),
    ("NSA-TR", "Northstar Trucks", "NSA", "north", "oem_commercial", "Changchun", "China", "mature"),
    ("JLM", "Jinling Motors", "", "east", "oem_passenger", "Nanjing", "China", "mature"),
    ("CQA", "Chongqing Mountain Auto", "", "west", "oem_passenger", "Chongqing", "China", "key"),
    ("SCV", "Sichuan Commercial Vehicles", "", "west", "oem_commercial", "Chengdu", "China", "developing"),
    ("XPM", "Xingpeng Mobility", "", "south", "nev", "Guangzhou", "China", "developing"),
    ("LNA", "Lianhe Auto", "", "north", "oem_passenger", "Tianjin", "China", "declining"),
    ("HBE", "Hubei Electric Vehicles", "", "west", "nev", "Wuhan", "China", "developing"),
    ("ZJG", "Zhejiang Geometry Cars", "", "east", "oem_passenger", "Ningbo", "China", "key"),
    ("ZJG-LX", "Geometry Luxe", "ZJG", "east", "nev", "Ningbo", "China", "developing"),
    ("ANH", "Anhui Jianghuai Star", "", "east", "oem_passenger", "Hefei", "China", "mature"),
    ("SDH", "Shandong Heavy Haulage", "", "north", "oem_commercial", "Jinan", "China", "mature"),
    ("FJM", "Fujian Minjiang Motor", "", "south", "oem_passenger", "Fuzhou", "China", "declining"),
    ("HNQ", "Hunan Qilin Auto", "", "west", "oem_passenger", "Changsha", "China", "developing"),
    ("GXL", "Guangxi Liuzhou Mini", "", "south", "oem_passenger", "Liuzhou", "China", "mature"),
    ("NRD", "Nordhavn Automotive AB", "", "europe", "oem_passenger", "Gothenburg", "Sweden", "developing"),
    ("BVM", "Bavaria Mobil AG", "", "europe", "oem_passenger", "Munich", "Germany", "prospect"),
    ("LTR", "Lumière Automobiles", "", "europe", "oem_passenger", "Paris", "France", "prospect"),
    ("ITM", "Torino Motori SpA", "", "europe", "oem_passenger", "Turin", "Italy", "prospect"),
    ("SIA", "Siam Auto Assembly", "", "sea", "oem_passenger", "Bangkok", "Thailand", "developing"),
    ("VNF", "VietNam Future Motors", "", "sea", "nev", "Hai Phong", "Vietnam", "developing"),
    ("MYP", "Malaya Proton Works", "", "sea", "oem_passenger", "Shah Alam", "Malaysia", "mature"),
    ("IDA", "Nusantara Auto", "", "sea", "oem_passenger", "Jakarta", "Indonesia", "prospect"),
    ("T1-SEAT", "Orient Seating Systems", "", "east", "tier1", "Suzhou", "China", "mature"),
    ("T1-COCK", "CockpitOne Modules", "", "south", "tier1", "Foshan", "China", "developing"),
    ("T1-DOOR", "Doorline Trim Co.", "", "north", "tier1", "Shenyang", "China", "mature"),
    ("T1-HMI", "Panorama HMI Systems", "", "east", "tier1", "Wuxi", "China", "developing"),
    ("YTB", "Yangtze Bus & Coach", "", "west", "oem_commercial", "Wuhan", "China", "declining"),
    ("GWM", "Great Plains Motors", "", "north", "oem_passenger", "Baoding", "China", "key"),
    ("SAM", "South Sea Auto", "", "south", "oem_passenger", "Haikou", "China", "developing"),
    ("KLM", "Kunlun Motors", "", "west", "oem_passenger", "Xi'an", "China", "developing"),
    ("HRB", "Harbin Snowfield Auto", "", "north", "oem_passenger", "Harbin", "China", "declining"),
    ("QDA", "Qingdao Ocean Auto", "", "north", "nev", "Qingdao", "China", "developing"),
    ("XMV", "Xiamen Egret Vehicles", "", "south", "nev", "Xiamen", "China", "prospect"),
    ("TJE", "Tianjin Port Electric", "", "north", "nev", "Tianjin", "China", "prospect"),
]

SECOND_CUSTOMERS = [
    ("RHM", "Rheinmotor AG", "", "europe", "oem_passenger", "Cologne", "Germany", "key"),
    ("ALP", "Alpenwagen GmbH", "", "europe", "oem_passenger", "Graz", "Austria", "mature"),
    ("NKV", "Nordkap Vans", "", "europe", "oem_commercial", "Oslo", "Norway", "developing"),
    ("BLT", "Baltic EV", "", "europe", "nev", "Riga", "Latvia", "developing"),
    ("IBR", "Iberia Motor", "", "europe", "oem_passenger", "Valencia", "Spain", "prospect"),
    ("T1-FOAM", "Schaum Interior Systems", "", "europe", "tier1", "Stuttgart", "Germany", "mature"),
]

TECHNOLOGY = ["electrification", "intelligent_cockpit", "lightweight", "sustainable_materials"]
PAINS = ["cost", "supply_resilience", "rd_speed", "quality", "delivery"]
FIRST = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu",
         "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Luo", "Gao"]
GIVEN = ["Wei", "Fang", "Jun", "Lei", "Ying", "Tao", "Hui", "Ming", "Qiang", "Xia", "Bo",
         "Lan", "Hao", "Jie", "Ning"]
TITLES = {
    Department.PURCHASING: ["VP Purchasing", "Purchasing Manager", "Buyer, Interior"],
    Department.ENGINEERING: ["Chief Engineer", "Interior Engineering Manager", "Design Engineer"],
    Department.QUALITY: ["Quality Director", "Supplier Quality Manager", "SQE"],
    Department.LOGISTICS: ["Logistics Director", "Material Planning Manager", "Logistics Planner"],
    Department.FINANCE: ["CFO", "Cost Controller", "Accounts Payable"],
    Department.MANAGEMENT: ["CEO", "Programme Director", "Assistant to the CEO"],
    Department.PRODUCTION: ["Plant Director", "Production Manager", "Line Supervisor"],
}


def seed(tenant):
    if Customer.objects.exists():
        return
    rng = random.Random(f"kam-{tenant.slug}")
    ensure_default_standards(tenant)
    people = {role: [] for role in Role.values}
    for membership in Membership.objects.filter(is_active=True).select_related("user"):
        people[membership.role].append(membership.user)
    leader = (people[Role.EXECUTIVE] or people[Role.ADMIN] or [None])[0]
    kams = people[Role.MANAGER] or people[Role.ADMIN]
    staff = [u for role in (Role.MANAGER, Role.MEMBER, Role.EXECUTIVE) for u in people[role]]

    regions = {code: Region.objects.create(tenant=tenant, code=code, name=name, leader=leader)
               for code, name in REGIONS}
    rows = DEMO_CUSTOMERS if tenant.slug == "demo" else SECOND_CUSTOMERS
    customers = {}
    for index, (code, name, parent, region, segment, city, country, stage) in enumerate(rows):
        customers[code] = Customer.objects.create(
            tenant=tenant, code=code, name=name, parent=customers.get(parent),
            region=regions[region], segment=segment, city=city, country=country,
            lifecycle_stage=stage, owner=kams[index % len(kams)] if kams else None,
            positioning=rng.choice([
                "Mass-market family cars, price-led", "Premium, design-led interiors",
                "Tech-forward NEV brand for young buyers", "Commercial fleets, total cost of ownership",
                "Export-oriented compact cars"]),
            platform_plans=rng.choice([
                "Two new BEV platforms by 2028; current ICE platform facelift in 2027.",
                "Global modular platform, 6 nameplates, SOP waves 2027–2029.",
                "Skateboard EV platform; cockpit domain controller in-house.",
                "Heavy-duty cab refresh 2027; electric city bus line."]),
            technology_roadmap=rng.sample(TECHNOLOGY, rng.randint(1, 3)),
            pain_points=rng.sample(PAINS, rng.randint(1, 3)),
        )
    _figures(tenant, rng, list(customers.values()))
    _contacts(tenant, rng, list(customers.values()), staff)
    _interactions(tenant, rng, list(customers.values()), staff)
    _plans(tenant, rng, list(customers.values()), staff)
    scoring.run_scoring(tenant)


def last_quarters(today, count):
    current = periods.Quarter.of(today)
    return [str(current - back) for back in range(count, 0, -1)]


def _figures(tenant, rng, customers):
    periods = last_quarters(tenant.today(), 8)
    # A Pareto portfolio: the first customer alone is about a third of revenue.
    weights = sorted((rng.paretovariate(1.1) for _ in customers), reverse=True)
    weights[0] = sum(weights[1:]) * 0.48
    order = list(customers)
    rng.shuffle(order[1:])  # keep the flagship first, mix the rest
    rows = []
    for customer, weight in zip(order, weights, strict=False):
        base = Decimal(weight * 8_000_000 / len(customers) * 12).quantize(Decimal("1"))
        trend = rng.uniform(-0.06, 0.08)
        share = rng.uniform(8, 65)
        margin = rng.uniform(9, 26)
        for step, period in enumerate(periods):
            revenue = base * Decimal(str(round((1 + trend) ** step * rng.uniform(0.9, 1.1), 4)))
            rows.append(PeriodFigure(
                tenant=tenant, customer=customer, period=period,
                revenue=revenue.quantize(Decimal("0.01")),
                volume=int(revenue / Decimal(rng.randint(180, 420))),
                supply_share=Decimal(str(round(min(share + rng.uniform(-3, 3), 100), 2))),
                gross_margin=Decimal(str(round(margin + rng.uniform(-2, 2), 2))),
                payment_days=rng.choice([30, 45, 60, 60, 90, 90, 120]),
                cost_to_serve=(revenue * Decimal(str(round(rng.uniform(0.01, 0.06), 4))))
                .quantize(Decimal("0.01")),
                quality_ppm=Decimal(rng.randint(5, 450)),
                on_time_delivery=Decimal(str(round(rng.uniform(88, 99.8), 2))),
                market_influence=rng.randint(1, 5), loyalty=rng.randint(1, 5),
                strategic_fit=rng.randint(1, 5),
            ))
    PeriodFigure.objects.bulk_create(rows)


def _contacts(tenant, rng, customers, staff):
    today = tenant.today()
    rows = []
    for index, customer in enumerate(customers):
        departments = [Department.PURCHASING, Department.ENGINEERING, Department.QUALITY,
                       Department.LOGISTICS, Department.MANAGEMENT]
        # Some accounts have gaps on purpose, so the coverage rule has something to say.
        if index % 5 == 2:
            departments.remove(Department.LOGISTICS)
        if index % 7 == 3:
            departments.remove(Department.ENGINEERING)
        departments += rng.sample([Department.FINANCE, Department.PRODUCTION], rng.randint(0, 2))
        for dept in departments:
            for level_index, level in enumerate(rng.sample(Level.values, rng.randint(1, 2))):
                decision_maker = level == Level.EXECUTIVE and dept in (
                    Department.PURCHASING, Department.MANAGEMENT)
                rows.append(Contact(
                    tenant=tenant, customer=customer,
                    name=f"{rng.choice(FIRST)} {rng.choice(GIVEN)}",
                    title=TITLES[dept][Level.values.index(level)],
                    department=dept, level=level,
                    decision_role="decision_maker" if decision_maker else rng.choice(
                        ["influencer", "user", "gatekeeper", "key_person"]),
                    attitude=rng.choice([2, 1, 1, 0, 0, -1, None]) if index % 4 else
                    rng.choice([0, -1, None]),
                    influence=rng.randint(2, 5) if level != Level.OPERATIONAL else rng.randint(1, 3),
                    strength=rng.randint(1, 5),
                    counterpart=rng.choice(staff) if staff and level_index == 0 else None,
                    email=f"contact{len(rows)}@{customer.code.lower()}.example.com",
                    last_contact_on=today - timedelta(days=rng.randint(3, 200)),
                ))
    Contact.objects.bulk_create(rows)


def _interactions(tenant, rng, customers, staff):
    today = tenant.today()
    kinds = InteractionKind.values
    for index, customer in enumerate(customers):
        # Flagship accounts get more attention; every sixth account is neglected on purpose.
        count = 2 if index % 6 == 5 else rng.randint(4, 10)
        contacts = list(customer.contacts.all())
        for _ in range(count):
            interaction = Interaction.objects.create(
                tenant=tenant, customer=customer, kind=rng.choice(kinds),
                occurred_on=today - timedelta(days=rng.randint(5, 330)),
                level=rng.choice(Level.values),
                summary=rng.choice([
                    "Reviewed quarterly volumes and the cost-down roadmap.",
                    "Presented the sustainable-materials door trim concept.",
                    "Escalation on PPM spike at the Hefei plant; 8D agreed.",
                    "Discussed the next platform RFQ timing and sourcing strategy.",
                    "Tooling kick-off alignment for the IP carrier.",
                    "Executive dinner: long-term partnership and localisation."]),
                next_step=rng.choice(["Send revised quote", "Share 8D report",
                                      "Arrange plant visit", ""]),
                next_step_on=today + timedelta(days=rng.randint(5, 40)),
                created_by=customer.owner,
            )
            if staff:
                interaction.our_people.add(*rng.sample(staff, min(2, len(staff))),
                                           through_defaults={"tenant": tenant})
            if contacts:
                interaction.contacts.add(*rng.sample(contacts, min(2, len(contacts))),
                                         through_defaults={"tenant": tenant})


def _plans(tenant, rng, customers, staff):
    year = tenant.today().year
    for customer in customers[:15]:
        last_year = sum(f.revenue for f in customer.figures.all()[:4])
        plan = AccountPlan.objects.create(
            tenant=tenant, customer=customer, year=year,
            revenue_target=(last_year * Decimal("1.12")).quantize(Decimal("1")),
            share_target=Decimal(rng.randint(25, 60)),
            strategy=rng.choice([
                "Defend the cockpit module business and win the next BEV platform.",
                "Grow from door trims into full interior systems.",
                "Localise production near the new plant to cut logistics cost."]),
            focus_products="Instrument panels, door trims, centre consoles",
        )
        for title in rng.sample([
                "Joint cost-down workshop", "Sustainable materials demo day",
                "Resident engineer at the customer's R&D centre", "Executive review with the CPO",
                "Second-source risk review"], 3):
            Initiative.objects.create(
                tenant=tenant, plan=plan, title=title,
                owner=rng.choice(staff) if staff else None,
                due_on=tenant.today() + timedelta(days=rng.randint(-30, 150)),
                status=rng.choice(["planned", "in_progress", "in_progress", "done"]))
