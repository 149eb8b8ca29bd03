"""Who may do what: the one table of permissions per role (docs/access.md prints it).

Sign-in, API keys, users and the audit log are checked against this table
(``allowed``). For the endpoints that came before it, the table writes down the
rules their routers and the workflow rules in ``alerts/`` enforce today, so
that this file is the one place to read them; where a rule depends on more than
the role (a field engineer's own van, the ticket's state) the note says so.
Customer users are, besides, confined to their own customer everywhere
(api/access_scope.py): another customer's record answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from models.users import Role

A, D, S, F, P, C = (
    Role.ADMIN,
    Role.DESK,
    Role.SUPPORT,
    Role.FIELD_ENGINEER,
    Role.PARTS_MANAGER,
    Role.CUSTOMER,
)
_EVERYONE = frozenset(Role)
_STAFF_OFFICE = frozenset({A, D, S})


class Permission(StrEnum):
    # Accounts and credentials (checked with ``allowed``).
    SIGN_IN = "sign_in"
    MANAGE_OWN_API_KEYS = "api_keys:own"
    MANAGE_ALL_API_KEYS = "api_keys:all"
    READ_AUDIT_LOG = "audit:read"
    MANAGE_USERS = "users:manage"
    # Plant data, tickets and the rest (enforced by the routers named in ``where``).
    READ_PLANT_DATA = "plant:read"
    READ_TICKETS = "tickets:read"
    REGISTER_TICKET = "tickets:register"
    MOVE_TICKET = "tickets:transition"
    FLAG_CHANGE = "tickets:flag_change"
    APPROVE_CHANGE = "tickets:approve_change"
    DISPATCH = "dispatch:plan"
    ASSIGN_OWNER = "dispatch:assign_owner"
    READ_ENGINEERS = "engineers:read"
    EDIT_ENGINEERS = "engineers:edit"
    WORK_OWN_JOBS = "my_jobs"
    FILE_SERVICE_REPORT = "service_report:file"
    READ_JOB_CHECKLIST = "checklist:read"
    ANSWER_JOB_CHECKLIST = "checklist:answer"
    SIGN_OFF = "service_report:sign_off"
    ANSWER_SURVEY = "survey:answer"
    CALL_BACK = "callbacks:record"
    ROOT_CAUSE_ANALYSIS = "rca:edit"
    REGISTER_COMPLAINT = "complaints:register"
    HANDLE_COMPLAINT = "complaints:handle"
    READ_NOTIFICATIONS = "notifications:read"
    MANAGE_WEBHOOKS = "webhooks:manage"
    READ_SERVICE_KPIS = "kpis:service"
    READ_FLEET = "fleet:read"
    READ_PARTS = "parts:read"
    READ_PART_SUGGESTIONS = "parts:suggestions"
    MANAGE_PARTS = "parts:manage"
    BOOK_STOCK = "stock:book"


@dataclass(frozen=True, slots=True)
class Rule:
    """The roles that hold a permission, where it applies, and any further condition."""

    roles: frozenset[Role]
    where: str
    note: str = ""


PERMISSIONS: dict[Permission, Rule] = {
    Permission.SIGN_IN: Rule(
        _EVERYONE,
        "POST /api/sign-in, /api/sign-out, /api/token, /api/token/refresh",
        "needs a password, set with `linecare users set-password`",
    ),
    Permission.MANAGE_OWN_API_KEYS: Rule(
        _EVERYONE,
        "GET, POST /api/api-keys; DELETE /api/api-keys/{id} (own keys)",
        "a customer's key is confined to its customer",
    ),
    Permission.MANAGE_ALL_API_KEYS: Rule(
        frozenset({A}), 'the same, with ?login= / "login" for another user\'s keys'
    ),
    Permission.READ_AUDIT_LOG: Rule(frozenset({A}), "GET /api/audit"),
    Permission.MANAGE_USERS: Rule(
        frozenset({A}),
        "`linecare users ...` on the server",
        "the CLI needs database access, not a role",
    ),
    Permission.READ_PLANT_DATA: Rule(
        _EVERYONE,
        "GET /api/lines, /api/machines/..., /api/machine-status, /api/oee, /api/reports/...,"
        " /api/alerts",
        "customers: their own customer only",
    ),
    Permission.READ_TICKETS: Rule(
        _EVERYONE,
        "GET /api/tickets, /api/tickets/{id}, /api/tickets/{id}/evidence",
        "customers: their own tickets, in plain words",
    ),
    Permission.REGISTER_TICKET: Rule(frozenset({A, D, S, C}), "POST /api/tickets"),
    Permission.MOVE_TICKET: Rule(
        frozenset({A, D, S, F, C}),
        "POST /api/tickets/{id}/transitions",
        "which move, by role and state: alerts/ticket_lifecycle.py",
    ),
    Permission.FLAG_CHANGE: Rule(_STAFF_OFFICE, "POST /api/tickets/{id}/change-approval"),
    Permission.APPROVE_CHANGE: Rule(frozenset({A, S}), "POST /api/tickets/{id}/change-approval"),
    Permission.DISPATCH: Rule(
        _STAFF_OFFICE,
        "GET /api/tickets/{id}/dispatch-candidates, /api/tickets/{id}/dispatch,"
        " /api/ticket-owners; POST /api/tickets/assignments",
    ),
    Permission.ASSIGN_OWNER: Rule(
        frozenset({A, D}), "POST /api/tickets/assignments (another owner than oneself)"
    ),
    Permission.READ_ENGINEERS: Rule(
        frozenset({A, D, S, F}),
        "GET /api/engineers, /api/engineers/{login}",
        "a field engineer: their own profile only",
    ),
    Permission.EDIT_ENGINEERS: Rule(frozenset({A, D}), "PUT /api/engineers/{login}"),
    Permission.WORK_OWN_JOBS: Rule(
        frozenset({F}), "GET /api/my-jobs; POST /api/my-jobs/{id}/accept"
    ),
    Permission.FILE_SERVICE_REPORT: Rule(
        frozenset({A, D, S, F}),
        "PUT /api/tickets/{id}/report",
        "planned maintenance: once every checklist item is answered",
    ),
    Permission.READ_JOB_CHECKLIST: Rule(
        frozenset({A, D, S, F, P}),
        "GET /api/tickets/{id}/checklist (and on GET /api/my-jobs)",
        "a field engineer: their own jobs; customers get 404",
    ),
    Permission.ANSWER_JOB_CHECKLIST: Rule(
        frozenset({A, F}),
        "PUT /api/tickets/{id}/checklist/{occurrence}/{position}",
        "a field engineer: the job dispatched to them, from the start of the work to the sign-off",
    ),
    Permission.SIGN_OFF: Rule(frozenset({A, D, C}), "POST /api/tickets/{id}/sign-off"),
    Permission.ANSWER_SURVEY: Rule(frozenset({A, D, C}), "POST /api/tickets/{id}/survey"),
    Permission.CALL_BACK: Rule(_STAFF_OFFICE, "POST /api/tickets/{id}/callbacks"),
    Permission.ROOT_CAUSE_ANALYSIS: Rule(_STAFF_OFFICE, "GET, PUT /api/tickets/{id}/rca"),
    Permission.REGISTER_COMPLAINT: Rule(frozenset({A, D, S, C}), "POST /api/complaints"),
    Permission.HANDLE_COMPLAINT: Rule(_STAFF_OFFICE, "POST /api/complaints/{id}/transitions"),
    Permission.READ_NOTIFICATIONS: Rule(
        frozenset({A, D, S, C}), "GET /api/notifications/deliveries..., POST .../retry"
    ),
    Permission.MANAGE_WEBHOOKS: Rule(
        frozenset({A, C}), "/api/webhooks (all methods)", "a customer: their own webhooks"
    ),
    Permission.READ_SERVICE_KPIS: Rule(frozenset({A, D, S, C}), "GET /api/kpis/service"),
    Permission.READ_FLEET: Rule(
        _STAFF_OFFICE, "GET /api/fleet", "customers read their own lines at GET /api/lines"
    ),
    Permission.READ_PARTS: Rule(
        frozenset({A, D, S, F, P}),
        "GET /api/parts, /api/stores, /api/stock, /api/ledger, /api/requisitions, /api/serials",
        "customers get 403: the resource is closed to the role",
    ),
    Permission.READ_PART_SUGGESTIONS: Rule(
        frozenset({A, D, S, F, P}),
        "GET /api/tickets/{id}/part-suggestions",
        "a field engineer: their own jobs; customers get 404",
    ),
    Permission.MANAGE_PARTS: Rule(
        frozenset({A, P}),
        "POST, PUT /api/parts, /api/stores, /api/stock/...; requisition decisions",
    ),
    Permission.BOOK_STOCK: Rule(
        frozenset({A, P, D, S, F}),
        "POST /api/ledger, /api/requisitions, /api/serials/replacements",
        "desk and support: reservations only; a field engineer: their own van;"
        " alerts/stock_permissions.py",
    ),
}


def allowed(role: Role, permission: Permission) -> bool:
    """Whether users of ``role`` hold ``permission``."""
    return role in PERMISSIONS[permission].roles


def permission_table() -> str:
    """The table as Markdown, as docs/access.md shows it."""
    roles = [A, D, S, F, P, C]
    header = "| permission | where | " + " | ".join(r.value for r in roles) + " | note |"
    rule = "|" + " --- |" * (len(roles) + 3)
    rows = [
        f"| `{permission}` | {entry.where} | "
        + " | ".join("yes" if r in entry.roles else "" for r in roles)
        + f" | {entry.note} |"
        for permission, entry in PERMISSIONS.items()
    ]
    return "\n".join([header, rule, *rows])
