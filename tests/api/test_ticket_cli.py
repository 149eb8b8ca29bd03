"""`linecare tickets` works a ticket end to end against a served API, as a script would."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass

from services.free_ports import free_port


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


async def linecare(api_url: str, token: str | None, *args: str, stdin: str = "") -> Outcome:
    env = {**os.environ, "LINECARE_API_TOKEN": token or ""}
    if token is None:
        env.pop("LINECARE_API_TOKEN")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "launcher.cli",
        "tickets",
        "--api",
        api_url,
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await process.communicate(stdin.encode())
    assert process.returncode is not None
    return Outcome(process.returncode, out.decode(), err.decode())


async def register(api_url: str, machine: str, summary: str, *options: str) -> Outcome:
    """The desk registers a request on line 1 from the CLI, answering JSON."""
    return await linecare(
        api_url,
        "demo-desk",
        "--json",
        "create",
        "--line",
        "line-1",
        "--machine",
        machine,
        "--summary",
        summary,
        *options,
    )


async def test_a_script_registers_classifies_and_reads_a_ticket(api_url: str) -> None:
    created = await register(
        api_url,
        "l1-capper",
        "Capper torque faults after changeover",
        "--channel",
        "email",
        "--idempotency-key",
        "mail-4711",
    )
    assert created.code == 0, created.err
    ticket = json.loads(created.out)
    assert ticket["status"] == "registered"
    assert ticket["channel"] == "email"
    assert "Capper torque faults" in ticket["confirmation"]

    again = await register(
        api_url,
        "l1-capper",
        "Capper torque faults after changeover",
        "--idempotency-key",
        "mail-4711",
    )
    assert json.loads(again.out)["id"] == ticket["id"]

    moved = await linecare(
        api_url, "demo-desk", "move", str(ticket["id"]), "classified", "--note", "by phone"
    )
    assert moved.code == 0, moved.err
    assert "status classified" in moved.out
    assert "demo-desk" in moved.out or "desk" in moved.out

    listed = await linecare(api_url, "demo-desk", "list", "--status", "classified")
    assert ticket["number"] in listed.out
    none_registered = await linecare(api_url, "demo-desk", "list", "--status", "registered")
    assert ticket["number"] not in none_registered.out


async def test_a_refused_move_exits_2_with_the_allowed_steps(api_url: str) -> None:
    created = await register(api_url, "l1-filler", "Filler level sensor drifts")
    ticket_id = str(json.loads(created.out)["id"])

    refused = await linecare(api_url, "demo-desk", "move", ticket_id, "signed_off")
    assert refused.code == 2
    assert "409" in refused.err
    assert "Allowed next:" in refused.err and "classified" in refused.err

    invalid = await linecare(api_url, "demo-desk", "move", ticket_id, "teleported")
    assert invalid.code == 2
    assert "422" in invalid.err and "to" in invalid.err


async def test_customers_cannot_reach_other_customers_tickets_from_the_cli(api_url: str) -> None:
    created = await register(api_url, "l1-filler", "Nordbrau filler noise")
    ticket_id = str(json.loads(created.out)["id"])

    foreign = await linecare(api_url, "demo-alpenpack", "show", ticket_id)
    assert foreign.code == 2
    assert "404" in foreign.err
    assert "Nordbrau" not in foreign.err + foreign.out
    own_list = await linecare(api_url, "demo-alpenpack", "list")
    assert "Nordbrau filler noise" not in own_list.out


async def test_without_a_token_or_an_api_the_cli_says_what_is_missing(api_url: str) -> None:
    missing = await linecare(api_url, None, "list")
    assert missing.code == 2 and "LINECARE_API_TOKEN" in missing.err

    wrong = await linecare(api_url, "not-a-token", "list")
    assert wrong.code == 2 and "401" in wrong.err

    unreachable = await linecare(f"http://127.0.0.1:{free_port()}", "demo-desk", "list")
    assert unreachable.code == 1 and "cannot reach" in unreachable.err


async def test_a_complaint_is_handled_to_closure_from_the_cli(api_url: str) -> None:
    created = await register(api_url, "l1-capper", "Capper jams at start of shift")
    ticket_id = str(json.loads(created.out)["id"])

    complained = await linecare(
        api_url,
        "demo-nordbrau",
        "--json",
        "complain",
        "Nobody called back after the visit",
        "--ticket",
        ticket_id,
    )
    assert complained.code == 0, complained.err
    complaint_id = str(json.loads(complained.out)["id"])

    steps = [
        ["classified", "--category", "response_time", "--severity", "general"],
        ["investigating", "--note", "asking the engineer"],
        ["answered", "--findings", "callback was missed", "--answer", "We apologise."],
        ["closed", "--note", "customer satisfied"],
    ]
    for step in steps:
        moved = await linecare(api_url, "demo-desk", "handle-complaint", complaint_id, *step)
        assert moved.code == 0, (step, moved.err)

    shown = await linecare(api_url, "demo-desk", "--json", "complaint", complaint_id)
    assert json.loads(shown.out)["status"] == "closed"
    foreign = await linecare(api_url, "demo-alpenpack", "complaint", complaint_id)
    assert foreign.code == 2 and "404" in foreign.err
    refused = await linecare(api_url, "demo-desk", "handle-complaint", complaint_id, "classified")
    assert refused.code == 2 and "409" in refused.err
