"""The capability table (accounts/roles.py) is the one place that says what each role may
do. Pages, the API, services and templates ask by capability name, so:

- no role set (`frozenset({Role.ADMIN, ...})`) and no comparison of a role with a role
  (`request.role == Role.ADMIN`, `role in (...)`, `current_role == "admin"` in a template)
  is written anywhere else; a new one fails here;
- every capability name used in code and templates is in the table;
- the table says what the README's Roles section says.
"""

import ast
import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from accounts import roles
from accounts.context_processors import tenancy
from accounts.models import Role
from accounts.permissions import tenant_required

ROOT = Path(__file__).resolve().parent.parent
APPS = ("kam", "accounts", "notifications", "jobs", "customers", "teams", "projects",
        "satisfaction", "dashboards")
TABLE = ROOT / "accounts" / "roles.py"
ROLE_NAMES = frozenset(Role.names)  # ADMIN, EXECUTIVE, ...
ROLE_VALUES = frozenset(Role.values)  # "admin", "executive", ...


def source_files(include_table=False):
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "tests" in parts or "migrations" in parts:
                continue
            if path == TABLE and not include_table:
                continue
            yield path


def template_files():
    yield from sorted((ROOT / "templates").rglob("*.html"))
    for app in APPS:
        yield from sorted((ROOT / app / "templates").rglob("*.html"))


def parse(path):
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def where(path, node):
    return f"{path.relative_to(ROOT)}:{node.lineno}"


# --- what counts as a role set or a role comparison -------------------------------------

def is_role_member(node):
    """`Role.ADMIN` (not `TeamRole.AR`), or a bare `ADMIN` imported from somewhere."""
    if isinstance(node, ast.Attribute):
        return (isinstance(node.value, ast.Name) and node.value.id == "Role"
                and node.attr in ROLE_NAMES | {"values"})
    return isinstance(node, ast.Name) and node.id in ROLE_NAMES


def mentions_role_member(node):
    return any(is_role_member(child) for child in ast.walk(node))


def is_role_expression(node):
    """`role`, `new_role`, `request.role`, `membership.role`, …"""
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
    return isinstance(name, str) and (name == "role" or name.endswith("_role"))


def is_role_string(node):
    if isinstance(node, ast.Constant):
        return node.value in ROLE_VALUES
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(is_role_string(element) for element in node.elts)
    return False


def role_sets(tree):
    """`frozenset(...)` / `set(...)` of roles and `{Role.X, ...}` displays."""
    inside = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in ("frozenset", "set") and mentions_role_member(node)):
            inside |= {id(child) for child in ast.walk(node)}
            yield node
        elif (isinstance(node, ast.Set) and id(node) not in inside
              and any(is_role_member(e) for e in node.elts)):
            yield node


def role_comparisons(tree):
    """`x == Role.ADMIN`, `role in (Role.A, Role.B)`, `request.role != "admin"`. Checking
    that a value is a role at all (`role in Role.values`) is not a rule about roles."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        members = [o for o in operands if mentions_role_member(o)
                   and not (isinstance(o, ast.Attribute) and o.attr == "values")]
        strings = (any(is_role_expression(o) for o in operands)
                   and any(is_role_string(o) for o in operands))
        if members or strings:
            yield node


TEMPLATE_ROLE_COMPARISON = re.compile(
    r"""\b(?:current_role|request\.role|role)\s*(?:==|!=|\bin\b|\bnot in\b)\s*["']""")


def offenders():
    found = []
    for path in source_files():
        tree = parse(path)
        found += [f"{where(path, n)}: role set" for n in role_sets(tree)]
        found += [f"{where(path, n)}: role comparison" for n in role_comparisons(tree)]
    for path in template_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if TEMPLATE_ROLE_COMPARISON.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: role comparison")
    return found


def test_no_role_sets_or_role_comparisons_outside_the_table():
    found = offenders()
    assert not found, ("Ask accounts.roles by capability name (roles.allows, "
                       "tenant_required, write_capability, can.<name>) instead of:\n"
                       + "\n".join(found))


def test_the_checks_find_what_they_look_for():
    tree = ast.parse(
        "A = frozenset({Role.ADMIN, Role.MANAGER})\n"
        "B = frozenset(Role.values)\n"
        "request.role == Role.ADMIN\n"
        "role in (Role.MANAGER, Role.MEMBER)\n"
        "request.role != 'admin'\n"
        "x = role == ADMIN\n"
        # not rules about roles: a check that it is a role, a team role, a seed's lists
        "role in Role.values\n"
        "member.role == TeamRole.AR\n"
        "people[Role.MANAGER]\n")
    assert len(list(role_sets(tree))) == 2
    assert [n.lineno for n in role_comparisons(tree)] == [3, 4, 5, 6]
    assert TEMPLATE_ROLE_COMPARISON.search('{% if current_role == "admin" %}')
    assert not TEMPLATE_ROLE_COMPARISON.search("{% if can.manage_workspace %}")


# --- every capability name asked for is in the table -------------------------------------

ASKING_FUNCTIONS = {"tenant_required": 0, "allows": 1, "roles_for": 0}
ASKING_ATTRIBUTES = {"write_capability", "read_capability", "default_write_capability"}


def asked_capabilities():
    """(where, name) of every capability named by a literal in the code."""
    for path in source_files(include_table=True):
        for node in ast.walk(parse(path)):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                position = ASKING_FUNCTIONS.get(name)
                args = [*node.args, *(k.value for k in node.keywords
                                      if k.arg == "capability")]
                if position is not None and len(args) > position:
                    yield where(path, node), args[position]
                for keyword in node.keywords:
                    if keyword.arg in ASKING_ATTRIBUTES:
                        yield where(path, node), keyword.value
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id in ASKING_ATTRIBUTES:
                        yield where(path, node), node.value


def test_every_capability_asked_for_in_code_is_in_the_table():
    literals, unknown = 0, []
    for place, value in asked_capabilities():
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            literals += 1
            if value.value not in roles.CAPABILITIES:
                unknown.append(f"{place}: {value.value!r}")
    assert not unknown, "Not in accounts.roles.CAPABILITIES:\n" + "\n".join(unknown)
    assert literals > 50  # the scan does see the code's checks


def test_every_capability_asked_for_in_templates_is_in_the_table():
    used, unknown = set(), []
    for path in template_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for name in re.findall(r"\bcan\.(\w+)", line):
                used.add(name)
                if name not in roles.CAPABILITIES:
                    unknown.append(f"{path.relative_to(ROOT)}:{number}: can.{name}")
    assert not unknown, "Not in accounts.roles.CAPABILITIES:\n" + "\n".join(unknown)
    assert {"manage_workspace", "read_dashboard", "read_reports"} <= used


def test_every_capability_has_a_label_and_known_roles():
    assert set(roles.LABELS) == set(roles.CAPABILITIES)
    for capability, allowed in roles.CAPABILITIES.items():
        assert allowed <= ROLE_VALUES, capability
        assert allowed, capability


# --- the table says what the README says -------------------------------------------------

def capabilities_of(role):
    return {name for name in roles.CAPABILITIES if roles.allows(role, name)}


@pytest.mark.parametrize(("role", "allowed", "denied"), [
    # admin: everything, users, settings (but only account managers own customers)
    ("admin", {"read", "manage_workspace", "read_dashboard", "read_reports", "run_scoring",
               "override_tiers", "edit_accounts", "edit_every_account", "import_data",
               "run_surveys", "manage_reviews"}, {"own_accounts"}),
    # executive: reads all, dashboards, approves tier overrides
    ("executive", {"read", "read_dashboard", "read_reports", "override_tiers",
                   "read_all_reviews", "verify_opl_items"},
     {"manage_workspace", "edit_accounts", "import_data", "run_surveys", "own_accounts"}),
    # manager: edits the accounts of their teams (customer, figures, plans, programmes,
    # survey answers, OPL items) and reads the rest
    ("manager", {"read", "edit_accounts", "import_data", "run_surveys", "create_opl_items",
                 "edit_own_items", "own_accounts", "own_work", "read_team_reviews"},
     {"edit_every_account", "manage_workspace", "read_dashboard", "override_tiers",
      "run_scoring", "read_all_reviews"}),
    # member: edits the items assigned to them (milestones, OPL items)
    ("member", {"read", "edit_own_items", "work_opl_items", "own_work"},
     {"edit_accounts", "create_opl_items", "read_dashboard", "manage_workspace",
      "own_accounts", "write_reviews"}),
])
def test_the_roles_as_the_readme_describes_them(role, allowed, denied):
    mine = capabilities_of(role)
    assert allowed <= mine
    assert not denied & mine


def test_a_viewer_reads_and_keeps_their_own_inbox():
    assert capabilities_of(Role.VIEWER) == {"read", "use_inbox"}


def test_every_role_reads():
    assert roles.roles_for("read") == ROLE_VALUES


# --- how pages and templates ask ---------------------------------------------------------

def test_an_unknown_capability_is_an_error():
    with pytest.raises(KeyError):
        roles.allows(Role.ADMIN, "fly")
    with pytest.raises(KeyError):
        tenant_required("fly")
    with pytest.raises(AttributeError):
        roles.Can(Role.ADMIN).fly  # noqa: B018


def test_templates_ask_can():
    request = RequestFactory().get("/")
    request.user = type("User", (), {"is_authenticated": True})()
    request.role = Role.EXECUTIVE
    request.tenant = None
    html = Template("{% if can.read_dashboard %}dashboard{% endif %}"
                    "{% if can.manage_workspace %}settings{% endif %}").render(
        Context(tenancy(request)))
    assert html == "dashboard"
