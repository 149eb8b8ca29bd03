"""The demo's worked ticket: people work the bearing warning's ticket to its end.

``linecare demo`` tells the simulated plant's fault story; this tells the service
story beside it, through the REST API as each person would: the desk classifies
the warning's ticket, support diagnoses it remotely, the desk dispatches the
best-ranked field engineer with the top suggested part (the bearing kit, from the
fillers' past repairs and the manual) reserved in the nearest store that has it,
who accepts, travels and arrives; the breakdown re-grades the ticket on its own;
once the machine runs again the engineer files the service report, which books
the kit's serial into the filler's main drive and the worn unit back to the
central store; the desk calls back, the customer signs off and answers the
survey, and the desk reviews and archives it. The KPI page then counts it. Each
step waits a few seconds so that a newcomer can follow it in the console; every
step is logged.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from launcher.api_client import ApiClient, ApiError, ApiUnreachable

log = logging.getLogger("linecare.story")

# The demo's public tokens (storage.user_store.DEMO_USERS); a field engineer's token is
# their login there.
DESK, SUPPORT, CUSTOMER = "demo-desk", "demo-support", "demo-nordbrau"
_RUNNING_STATE = "execute"


@dataclass(frozen=True, slots=True)
class StoryPace:
    """Wall seconds between steps, and how often to look for what the story waits on."""

    step_s: float = 6.0
    poll_s: float = 2.0
    # How long to wait for the breakdown and the restart before filing anyway.
    breakdown_wait_s: float = 600.0


class StoryStopped(Exception):
    """The story cannot go on; the reason is logged, the demo runs on."""


@dataclass(frozen=True, slots=True)
class DemoStory:
    base_url: str
    machine_id: str = "l1-filler"
    pace: StoryPace = StoryPace()

    def as_user(self, token: str) -> ApiClient:
        return ApiClient(self.base_url, token)

    async def tell(self) -> None:
        """Work the machine's first automatic ticket to its end; log and stop on a refusal."""
        try:
            await self._tell()
        except (ApiError, ApiUnreachable, StoryStopped) as error:
            log.warning("story: stopped: %s", error)

    async def _tell(self) -> None:
        desk, support = self.as_user(DESK), self.as_user(SUPPORT)
        ticket = await self._first_warning_ticket(desk)
        if ticket["status"] != "registered":
            log.info("story: ticket %s is already being worked; nothing to show", ticket["number"])
            return
        number, path = ticket["number"], f"/api/v1/tickets/{ticket['id']}"
        log.info("story: the early warning opened %s; the desk takes it", number)
        await self._move(desk, path, "classified", "Warning confirmed with the customer by phone.")
        await self._move(
            support,
            path,
            "remote_diagnosis",
            "Vibration rising on the filler main drive, bearing temperature following:"
            " bearing wear. A site visit with a bearing kit is needed.",
        )
        engineer = await self._dispatch(desk, ticket)
        field = self.as_user(engineer)
        await self._pause()
        await field.call("POST", f"/api/v1/my-jobs/{ticket['id']}/accept")
        log.info("story: %s accepts the job", engineer)
        await self._move(field, path, "en_route", "On the way.")
        await self._move(field, path, "on_site", "Arrived; checking the drive with the operator.")
        arrived = await self._now(desk, path)
        failure_at = await self._breakdown(desk, path)
        restored_at = await self._restart(failure_at, fallback=arrived)
        await self._file_report(field, path, failure_at, arrived, restored_at)
        await self._move(field, path, "repaired", "Bearing replaced; the filler runs again.")
        await self._close(desk, path)
        log.info("story: %s is archived; the KPI page (/kpis) counts it", number)

    async def _first_warning_ticket(self, desk: ApiClient) -> dict[str, Any]:
        while True:
            try:
                tickets = await desk.call(
                    "GET", "/api/v1/tickets", params={"machine_id": self.machine_id, "limit": "50"}
                )
            except ApiUnreachable:  # the API is still starting
                tickets = []
            automatic = [t for t in tickets if t["channel"] == "automatic_warning"]
            if automatic:
                return dict(min(automatic, key=lambda t: t["id"]))
            await asyncio.sleep(self.pace.poll_s)

    async def _pause(self) -> None:
        await asyncio.sleep(self.pace.step_s)

    async def _move(self, who: ApiClient, path: str, to: str, note: str) -> None:
        await self._pause()
        await who.call("POST", f"{path}/transitions", body={"to": to, "note": note})
        log.info("story: %s moves it to %s", who.token, to)

    async def _now(self, desk: ApiClient, path: str) -> datetime:
        """The service desk's clock, as the ticket's newest audit entry shows it."""
        ticket = await desk.call("GET", path)
        return datetime.fromisoformat(ticket["events"][-1]["at"])

    async def _dispatch(self, desk: ApiClient, ticket: dict[str, Any]) -> str:
        await self._pause()
        path = f"/api/v1/tickets/{ticket['id']}"
        ranked = await desk.call("GET", f"{path}/dispatch-candidates")
        if not ranked["candidates"]:
            raise StoryStopped("no field engineer to dispatch")
        best = ranked["candidates"][0]
        reserve = await self._parts_to_reserve(desk, path, best["login"])
        await desk.call(
            "POST",
            f"{path}/dispatch",
            body={
                "engineer": best["login"],
                "tools": ["vibration meter", "bearing puller", "torque wrench"],
                "reserve": reserve,
                "note": "Main drive bearing worn; replace it and check the alignment.",
            },
            headers={"Idempotency-Key": f"story-dispatch-{ticket['id']}"},
        )
        log.info("story: the desk dispatches %s (ranked first)", best["login"])
        return str(best["login"])

    async def _parts_to_reserve(
        self, desk: ApiClient, path: str, engineer: str
    ) -> list[dict[str, Any]]:
        """The top suggested part, reserved from the nearest store that has one."""
        found = await desk.call("GET", f"{path}/part-suggestions", params={"engineer": engineer})
        for suggestion in found["suggestions"][:1]:
            stores = [s for s in suggestion["stock"] if s["available"] > 0]
            if not stores:
                log.info("story: %s is suggested but out of stock", suggestion["part_number"])
                return []
            log.info(
                "story: LineCare suggests %s (%s); the desk reserves it in %s",
                suggestion["part_number"],
                "; ".join(suggestion["reasons"][:2]),
                stores[0]["store_name"],
            )
            return [
                {
                    "part_number": suggestion["part_number"],
                    "store_id": stores[0]["store_id"],
                    "quantity": 1,
                }
            ]
        return []

    async def _breakdown(self, desk: ApiClient, path: str) -> datetime | None:
        """When the machine broke down, once the stop has reached the ticket."""
        waited = 0.0
        while waited < self.pace.breakdown_wait_s:
            ticket = await desk.call("GET", path)
            stops = [e for e in ticket["events"] if e["kind"] == "machine_stop"]
            if stops:
                log.info("story: the breakdown reached the ticket: %s", stops[0]["note"])
                return datetime.fromisoformat(stops[0]["at"])
            await asyncio.sleep(self.pace.poll_s)
            waited += self.pace.poll_s
        log.info("story: no breakdown yet; the engineer repairs before it")
        return None

    async def _restart(self, broke_at: datetime | None, fallback: datetime) -> datetime:
        """When the machine runs again after the breakdown (its state, as the PLC reports it);
        ``fallback`` once the wait is over without a state."""
        support = self.as_user(SUPPORT)
        waited = 0.0
        while True:
            live = await support.call("GET", f"/api/v1/machines/{self.machine_id}/live")
            state = next(
                (v for v in live["values"] if v["kind"] == "state" and v["time"] is not None), None
            )
            if state is not None:
                since = datetime.fromisoformat(state["time"])
                running = state["value_name"] == _RUNNING_STATE
                if running and (broke_at is None or since > broke_at):
                    log.info("story: the filler runs again")
                    return since
                if waited >= self.pace.breakdown_wait_s:
                    return since
            elif waited >= self.pace.breakdown_wait_s:
                return fallback
            await asyncio.sleep(self.pace.poll_s)
            waited += self.pace.poll_s

    async def _file_report(
        self,
        field: ApiClient,
        path: str,
        failure_at: datetime | None,
        arrived_at: datetime,
        restored_at: datetime,
    ) -> None:
        await self._pause()
        parts = await self._parts_replaced(field, path)
        report = {
            "symptoms": "Rising vibration on the main drive, then a trip on fault 201.",
            "diagnosis": "Outer race of the main drive bearing pitted.",
            "root_cause": "Bearing wear; lubrication interval too long for the line's speed.",
            "actions_taken": "Replaced the main drive bearing, aligned the drive, test run.",
            "state_before": "Filler stopped on fault 201.",
            "state_after": "Filler running at rated speed; vibration back to normal.",
            "failure_at": (failure_at or arrived_at).isoformat(),
            "arrived_at": arrived_at.isoformat(),
            "restored_at": max(restored_at, arrived_at).isoformat(),
            "advice": "Shorten the lubrication interval of the main drive.",
            "measurements": [{"name": "vibration after repair", "value": 1.8, "unit": "mm/s"}],
            "parts": parts,
        }
        await field.call("PUT", f"{path}/report", body=report)
        log.info("story: the engineer files the service report (bearing replaced)")

    async def _parts_replaced(self, field: ApiClient, path: str) -> list[dict[str, Any]]:
        """The report's parts line: the reserved unit (its serial read off the box) into
        the position the old one comes out of, the old one back to the central store."""
        ticket_id = int(path.rsplit("/", 1)[1])
        jobs = await field.call("GET", "/api/v1/my-jobs")
        job = next((j for j in jobs if j["order"]["ticket_id"] == ticket_id), None)
        held = job["parts_to_bring"][:1] if job else []
        if not held:
            return []
        part, store = held[0]["part_number"], held[0]["store_id"]
        serial = await self._unit_in(field, part, store)
        installed = await field.call("GET", f"/api/v1/machines/{self.machine_id}/installed-parts")
        old = next((p for p in installed if p["part_number"] == part), None)
        if serial is None or old is None:
            return []
        return [
            {
                "part_number": part,
                "serial": serial,
                "quantity": 1,
                "position": old["position"],
                "removed_serial": old["serial"] or "",
                "failure_reason": "Outer race pitted; lubrication starved.",
                "returned_to": "central",
                "monitored": True,
            }
        ]

    async def _unit_in(self, field: ApiClient, part: str, store: str) -> str | None:
        """A serial of the part on the store's shelf."""
        entries = await field.call(
            "GET", "/api/v1/ledger", params={"store_id": store, "part_number": part}
        )
        for serial in dict.fromkeys(e["serial"] for e in entries if e["serial"]):
            unit = await field.call("GET", f"/api/v1/serials/{part}/{serial}")
            if unit["state"] == "in_store" and unit["store_id"] == store:
                return str(serial)
        return None

    async def _close(self, desk: ApiClient, path: str) -> None:
        customer = self.as_user(CUSTOMER)
        await self._pause()
        await desk.call(
            "POST",
            f"{path}/callbacks",
            body={"problem_gone": True, "contact_name": "Anna Keller", "notes": "Runs quietly."},
        )
        await self._move(desk, path, "verified", "Confirmed with the customer on the callback.")
        await self._pause()
        await customer.call(
            "POST",
            f"{path}/sign-off",
            body={
                "accepted": True,
                "comments": "Quick and clean work.",
                "signer_name": "A. Keller",
            },
        )
        log.info("story: the customer signs off")
        await self._move(desk, path, "survey", "Survey sent to the customer.")
        await self._pause()
        await customer.call(
            "POST",
            f"{path}/survey",
            body={
                "attitude": 5,
                "response_speed": 5,
                "technical_skill": 5,
                "effectiveness": 4,
                "overall": 5,
                "comments": "The warning came well before the breakdown.",
            },
        )
        log.info("story: the customer answers the survey")
        await self._move(desk, path, "reviewed", "Internal review: first-time fix, on time.")
        await self._move(desk, path, "archived", "Closed.")
