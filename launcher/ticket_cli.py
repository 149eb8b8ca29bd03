"""``linecare tickets``: the service workflow from the command line, for scripted use.

Every command is one call of the REST API as the user whose token it carries
(``--token`` or ``LINECARE_API_TOKEN``), so a script meets the same permissions,
validation, 409 refusals and audit trail as the console. ``--json`` prints the
API's answer unchanged; without it a short human summary. Exit codes: 0 done,
2 refused or invalid (the API's message on stderr), 1 API unreachable.
Bodies too rich for flags (a service report, a root cause analysis) are read
as JSON from a file, or from ``-`` for stdin. Complaints have commands of their
own: complain, complaints, complaint and handle-complaint.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeAlias

from launcher.api_client import ApiClient, ApiError, ApiUnreachable, JsonBody
from settings.linecare_settings import Settings

Request = tuple[str, str, JsonBody | None, dict[str, str] | None, dict[str, str] | None]
_Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_parser(commands: _Subparsers) -> None:
    tickets = commands.add_parser(
        "tickets",
        help="work service tickets through the API (list, create, move, dispatch, report ...)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tickets.add_argument("--api", help="API base URL (default http://<api_host>:<api_port>)")
    tickets.add_argument("--token", help="access token (default: LINECARE_API_TOKEN)")
    tickets.add_argument("--json", action="store_true", help="print the API's JSON answer")
    actions = tickets.add_subparsers(dest="tickets_command", required=True)
    _add_reading(actions)
    _add_registration(actions)
    _add_moves(actions)
    _add_closure(actions)
    _add_complaints(actions)


def _add_reading(actions: _Subparsers) -> None:
    listing = actions.add_parser("list", help="tickets, newest first")
    listing.add_argument("--status", action="append", help="only this status (repeatable)")
    listing.add_argument("--open", action="store_true", help="only tickets not yet archived")
    listing.add_argument("--machine", help="only this machine's tickets")
    listing.add_argument("--limit", type=int, default=100)
    show = actions.add_parser("show", help="one ticket with its clocks and audit trail")
    show.add_argument("ticket", type=int, help="ticket id")


def _add_registration(actions: _Subparsers) -> None:
    create = actions.add_parser("create", help="register a service request")
    create.add_argument("--line", required=True)
    create.add_argument("--machine", required=True)
    create.add_argument("--summary", required=True)
    create.add_argument("--symptoms", default="")
    create.add_argument("--channel", help="hotline (default), email, web_portal, messaging")
    create.add_argument("--type", dest="ticket_type", help="e.g. general_fault, emergency_repair")
    create.add_argument("--severity", help="major, serious, general or minor")
    create.add_argument("--contact-name")
    create.add_argument("--contact-phone")
    create.add_argument("--contact-email")
    create.add_argument("--special-requirements")
    create.add_argument("--received-at", help="ISO 8601 with zone (default: now)")
    create.add_argument(
        "--warranty",
        choices=["yes", "no"],
        help="override the warranty derived from the line (needs --warranty-reason)",
    )
    create.add_argument("--warranty-reason")
    create.add_argument(
        "--idempotency-key", help="the same key again returns the ticket it created"
    )


def _add_moves(actions: _Subparsers) -> None:
    move = actions.add_parser("move", help="move a ticket to its next state")
    move.add_argument("ticket", type=int)
    move.add_argument("to", help="e.g. classified, remote_diagnosis, on_site, verified")
    move.add_argument("--note", default="", help="a note; the reason where one is needed")
    move.add_argument("--expect", help="refuse unless the ticket is still in this state")
    approve = actions.add_parser(
        "change-approval", help="flag that a ticket changes the line, or approve the change"
    )
    approve.add_argument("ticket", type=int)
    approve.add_argument("--approve", action="store_true", help="approve (technical lead)")
    approve.add_argument("--note", default="")
    candidates = actions.add_parser("candidates", help="field engineers ranked for a ticket")
    candidates.add_argument("ticket", type=int)
    dispatch = actions.add_parser("dispatch", help="dispatch a ticket to a field engineer")
    dispatch.add_argument("ticket", type=int)
    dispatch.add_argument("engineer", help="the engineer's login")
    dispatch.add_argument("--tool", action="append", default=[], help="a tool to bring")
    dispatch.add_argument(
        "--part", action="append", default=[], help="PART_NUMBER[:QUANTITY] to bring"
    )
    dispatch.add_argument("--note", default="")
    actions.add_parser("my-jobs", help="the signed-in field engineer's jobs")
    accept = actions.add_parser("accept", help="the field engineer accepts a job")
    accept.add_argument("ticket", type=int)


def _add_closure(actions: _Subparsers) -> None:
    for name, text in (
        ("report", "file or replace the service report (JSON file, - for stdin)"),
        ("rca", "file the root cause analysis with corrective and preventive actions (JSON)"),
    ):
        command = actions.add_parser(name, help=text)
        command.add_argument("ticket", type=int)
        command.add_argument("file", help="JSON body as the API documents it; - for stdin")
    sign_off = actions.add_parser("sign-off", help="the customer's sign-off, or a refusal")
    sign_off.add_argument("ticket", type=int)
    verdict = sign_off.add_mutually_exclusive_group(required=True)
    verdict.add_argument("--accept", action="store_true")
    verdict.add_argument("--refuse", metavar="REASON", help="refuse, with the reason")
    sign_off.add_argument("--comments", default="")
    survey = actions.add_parser(
        "survey", help="record the satisfaction survey (five scores from 1 to 5)"
    )
    survey.add_argument("ticket", type=int)
    for point in ("attitude", "response-speed", "technical-skill", "effectiveness", "overall"):
        survey.add_argument(f"--{point}", type=int, required=True, choices=range(1, 6))
    survey.add_argument("--comments", default="")
    callback = actions.add_parser("callback", help="record the call back to the customer")
    callback.add_argument("ticket", type=int)
    callback.add_argument("--problem-gone", choices=["yes", "no"], required=True)
    callback.add_argument("--contact-name", default="")
    callback.add_argument("--notes", default="")


def _add_complaints(actions: _Subparsers) -> None:
    complaints = actions.add_parser("complaints", help="complaints, newest first")
    complaints.add_argument("--ticket", type=int, help="only this ticket's complaints")
    complain = actions.add_parser("complain", help="register a complaint")
    complain.add_argument("description")
    complain.add_argument("--ticket", type=int, help="the ticket it is about")
    complain.add_argument("--customer", help="the customer, for a complaint without a ticket")
    complain.add_argument("--contact-name", default="")
    complain.add_argument("--severity", help="major, serious, general or minor")
    complaint = actions.add_parser("complaint", help="one complaint with its history")
    complaint.add_argument("complaint", type=int, help="complaint id")
    handle = actions.add_parser(
        "handle-complaint",
        help="move a complaint: classified, investigating, answered, follow_up, closed",
    )
    handle.add_argument("complaint", type=int)
    handle.add_argument("to")
    handle.add_argument("--note", default="")
    handle.add_argument("--category")
    handle.add_argument("--severity")
    handle.add_argument("--findings", default="")
    handle.add_argument("--answer", default="")


def _complaint_request(args: argparse.Namespace) -> Request | None:
    command = args.tickets_command
    if command == "complaints":
        params = {"ticket_id": str(args.ticket)} if args.ticket else None
        return ("GET", "/api/v1/complaints", None, params, None)
    if command == "complain":
        fields = {
            "description": args.description,
            "ticket_id": args.ticket,
            "customer_id": args.customer,
            "contact_name": args.contact_name,
            "severity": args.severity,
        }
        body = {key: value for key, value in fields.items() if value is not None}
        return ("POST", "/api/v1/complaints", body, None, None)
    if command == "complaint":
        return ("GET", f"/api/v1/complaints/{args.complaint}", None, None, None)
    if command == "handle-complaint":
        move = {
            "to": args.to,
            "note": args.note,
            "category": args.category,
            "severity": args.severity,
            "findings": args.findings,
            "answer": args.answer,
        }
        body = {key: value for key, value in move.items() if value is not None}
        return ("POST", f"/api/v1/complaints/{args.complaint}/transitions", body, None, None)
    return None


def _read_json(file: str) -> JsonBody:
    text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    body = json.loads(text)
    if not isinstance(body, dict | list):
        raise ValueError("the JSON body must be an object")
    return body


def _parts(specs: list[str]) -> list[dict[str, Any]]:
    parts = []
    for spec in specs:
        number, _, quantity = spec.partition(":")
        parts.append({"part_number": number, "quantity": int(quantity or "1")})
    return parts


def _creation(args: argparse.Namespace) -> dict[str, Any]:
    fields = {
        "line_id": args.line,
        "machine_id": args.machine,
        "summary": args.summary,
        "symptoms": args.symptoms,
        "channel": args.channel,
        "ticket_type": args.ticket_type,
        "severity": args.severity,
        "contact_name": args.contact_name,
        "contact_phone": args.contact_phone,
        "contact_email": args.contact_email,
        "special_requirements": args.special_requirements,
        "received_at": args.received_at,
        "under_warranty": None if args.warranty is None else args.warranty == "yes",
        "warranty_override_reason": args.warranty_reason,
    }
    return {key: value for key, value in fields.items() if value is not None}


def request_for(args: argparse.Namespace) -> Request:
    """The API call a ``tickets`` command stands for: method, path, body, params, headers."""
    command, ticket = args.tickets_command, getattr(args, "ticket", None)
    complaint = _complaint_request(args)
    if complaint is not None:
        return complaint
    if command == "list":
        params = {"limit": str(args.limit)}
        if args.machine:
            params["machine_id"] = args.machine
        return ("GET", "/api/v1/tickets", None, params, None)
    if command == "create":
        headers = {"Idempotency-Key": args.idempotency_key} if args.idempotency_key else None
        return ("POST", "/api/v1/tickets", _creation(args), None, headers)
    if command == "move":
        body: dict[str, Any] = {"to": args.to, "note": args.note}
        if args.expect:
            body["expected_status"] = args.expect
        return ("POST", f"/api/v1/tickets/{ticket}/transitions", body, None, None)
    if command == "change-approval":
        body = {"approve": args.approve, "needed": True, "note": args.note}
        return ("POST", f"/api/v1/tickets/{ticket}/change-approval", body, None, None)
    if command == "dispatch":
        body = {
            "engineer": args.engineer,
            "tools": args.tool,
            "parts": _parts(args.part),
            "note": args.note,
        }
        return ("POST", f"/api/v1/tickets/{ticket}/dispatch", body, None, None)
    if command == "sign-off":
        body = {"accepted": bool(args.accept), "comments": args.comments}
        if args.refuse:
            body["reason"] = args.refuse
        return ("POST", f"/api/v1/tickets/{ticket}/sign-off", body, None, None)
    if command == "survey":
        body = {
            "attitude": args.attitude,
            "response_speed": args.response_speed,
            "technical_skill": args.technical_skill,
            "effectiveness": args.effectiveness,
            "overall": args.overall,
            "comments": args.comments,
        }
        return ("POST", f"/api/v1/tickets/{ticket}/survey", body, None, None)
    if command == "callback":
        body = {
            "problem_gone": args.problem_gone == "yes",
            "contact_name": args.contact_name,
            "notes": args.notes,
        }
        return ("POST", f"/api/v1/tickets/{ticket}/callbacks", body, None, None)
    if command == "accept":
        return ("POST", f"/api/v1/my-jobs/{ticket}/accept", None, None, None)
    if command in ("report", "rca"):
        return ("PUT", f"/api/v1/tickets/{ticket}/{command}", _read_json(args.file), None, None)
    if command == "candidates":
        return ("GET", f"/api/v1/tickets/{ticket}/dispatch-candidates", None, None, None)
    if command == "my-jobs":
        return ("GET", "/api/v1/my-jobs", None, None, None)
    return ("GET", f"/api/v1/tickets/{ticket}", None, None, None)


def _selected(args: argparse.Namespace, answer: Any) -> Any:
    """``list`` filters by status here: the API lists, the CLI narrows."""
    if args.tickets_command != "list" or not isinstance(answer, list):
        return answer
    statuses = set(args.status or [])
    return [
        t
        for t in answer
        if (not statuses or t.get("status") in statuses)
        and (not args.open or t.get("status") != "archived")
    ]


def render_ticket_row(ticket: dict[str, Any]) -> str:
    clocks = ", ".join(
        f"{c['kind']} {c['text']}" for c in ticket.get("sla", []) if c.get("state") != "not_needed"
    )
    return (
        f"{ticket['id']:>5} {ticket['number']:14} {ticket['status']:20} {ticket['severity']:8}"
        f" {ticket['machine_id']:14} {ticket['summary'][:48]:48} {clocks}"
    )


def render_ticket(ticket: dict[str, Any]) -> str:
    lines = [
        f"{ticket['number']} (id {ticket['id']}): {ticket['summary']}",
        f"  status {ticket['status']}, {ticket['severity']}, {ticket['ticket_type']},"
        f" via {ticket['channel']}",
        f"  customer {ticket['customer_id']}, line {ticket['line_id']}, machine"
        f" {ticket['machine_id']} ({ticket['machine_model']} {ticket['machine_serial']})",
        f"  contact {ticket['contact_name']} {ticket['contact_phone']} {ticket['contact_email']}",
    ]
    lines += [f"  {c['kind']:10} due {c['due']}: {c['text']}" for c in ticket.get("sla", [])]
    lines.append(f"  next: {', '.join(ticket.get('allowed_next', [])) or 'nothing for you'}")
    for event in ticket.get("events", []):
        who = event.get("actor") or "LineCare"
        change = (
            f" {event['field']}: {event['old_value']} -> {event['new_value']}"
            if event.get("field")
            else ""
        )
        note = f" ({event['note']})" if event.get("note") else ""
        lines.append(f"  {event['at']} {who}: {event['kind']}{change}{note}")
    return "\n".join(lines)


def _is_ticket(answer: Any) -> bool:
    """A ticket as the API shows it (complaints and jobs have numbers and states too)."""
    return isinstance(answer, dict) and {"number", "summary", "machine_id", "sla"} <= set(answer)


def _render(args: argparse.Namespace, answer: Any) -> str:
    if args.json or answer is None:
        return json.dumps(answer, indent=2, ensure_ascii=False)
    if args.tickets_command == "list" and isinstance(answer, list):
        return "\n".join(render_ticket_row(t) for t in answer) or "no tickets"
    if _is_ticket(answer):
        text = render_ticket(answer)
        confirmation = answer.get("confirmation")
        return f"{text}\n\n{confirmation}" if confirmation else text
    return json.dumps(answer, indent=2, ensure_ascii=False)


def run_tickets(
    args: argparse.Namespace, settings: Settings, *, write: Callable[[str], None] = print
) -> int:
    token = args.token or (settings.api_token.get_secret_value() if settings.api_token else None)
    if not token:
        print("linecare tickets: give --token or set LINECARE_API_TOKEN", file=sys.stderr)
        return 2
    client = ApiClient(args.api or f"http://{settings.api_host}:{settings.api_port}", token)
    try:
        method, path, body, params, headers = request_for(args)
        answer = asyncio.run(client.call(method, path, body=body, params=params, headers=headers))
    except (OSError, ValueError) as error:
        print(f"linecare tickets: {error}", file=sys.stderr)
        return 2
    except ApiError as error:
        print(f"linecare tickets: {error.status}: {error}", file=sys.stderr)
        return 2
    except ApiUnreachable as error:
        print(f"linecare tickets: {error}", file=sys.stderr)
        return 1
    write(_render(args, _selected(args, answer)))
    return 0
