"""A planned-maintenance job worked on a phone: the engineer sees the task's duration,
line stop, skills, parts and the checklist on My jobs, answers each item with the big
buttons (a finding with what was found, an item left out with the reason), the report
form starts with the parts reserved for the job, and the desk reads the answered
checklist on the ticket page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, expect

from alerts.maintenance_job import PLAN_FILE_NAME, import_plan_file
from launcher.parts_demo import seed_demo_parts
from models.plant import Plant
from storage import maintenance_store
from storage.connections import Pool
from tests.api.dispatch_factories import registered_ticket
from tests.browser.page_watch import PageWatch
from tests.browser.screenshots import ScreenshotBook
from tests.browser.sign_in_steps import sign_in
from tests.fixtures.fix_database import PLANT_FILE

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DESK = {"Authorization": "Bearer demo-desk"}
FIELD_1 = {"Authorization": "Bearer demo-field-1"}
PHONE = ViewportSize(width=390, height=844)
CONFIG_DIR = Path(__file__).parents[2] / "config"


async def _fits_the_screen(page: Page) -> None:
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow} px wider than the phone"


async def _pm_job_on_site(api: httpx.AsyncClient, pool: Pool, plant: Plant) -> tuple[int, str]:
    """The filler's valve inspection, its level probe reserved in the central store, the
    Hamburg engineer on site."""
    now = datetime.now(UTC)
    async with pool.connection() as conn:
        await seed_demo_parts(conn, plant=plant, config_dir=PLANT_FILE.parent, at=now)
    await import_plan_file(pool, CONFIG_DIR / PLAN_FILE_NAME, at=now)
    ticket = await registered_ticket(
        api,
        ticket_type="preventive_maintenance",
        severity="minor",
        summary="Planned maintenance: Filling valve and CIP inspection",
        symptoms="Planned window today, 3 h; the line stops.",
    )
    async with pool.connection() as conn:
        occurrence = await maintenance_store.insert_occurrence(
            conn,
            machine_id="l1-filler",
            line_id="line-1",
            task_key="valve-inspection",
            sequence=1,
            due_at=now + timedelta(hours=1),
            window=(now, now + timedelta(hours=3)),
            stops_line=True,
            opened_at=now,
        )
        assert occurrence is not None
        await maintenance_store.attach_ticket(conn, occurrence_id=occurrence.id, ticket_id=ticket)
    moved = await api.post(
        f"/api/tickets/{ticket}/transitions", json={"to": "classified"}, headers=DESK
    )
    assert moved.status_code == 200, moved.text
    dispatched = await api.post(
        f"/api/tickets/{ticket}/dispatch",
        json={
            "engineer": "demo-field-1",
            "reserve": [{"part_number": "FIL12-LEVEL-PROBE", "store_id": "central"}],
        },
        headers=DESK,
    )
    assert dispatched.status_code == 201, dispatched.text
    for target in ("en_route", "on_site"):
        moved = await api.post(
            f"/api/tickets/{ticket}/transitions", json={"to": target}, headers=FIELD_1
        )
        assert moved.status_code == 200, moved.text
    number = (await api.get(f"/api/tickets/{ticket}", headers=DESK)).json()["number"]
    return ticket, str(number)


async def test_the_engineer_answers_the_checklist_on_a_phone_and_the_desk_reads_it(
    browser: Browser,
    context: BrowserContext,
    api_url: str,
    api: httpx.AsyncClient,
    seeded_pool: Pool,
    plant: Plant,
    screenshots: ScreenshotBook,
) -> None:
    ticket, number = await _pm_job_on_site(api, seeded_pool, plant)
    phone = await browser.new_context(
        base_url=api_url, viewport=PHONE, is_mobile=True, has_touch=True
    )
    try:
        page = await phone.new_page()
        watch = PageWatch.on(page)
        await sign_in(page, "demo-field-1", "/my-jobs")
        job = page.locator("article.job", has=page.get_by_role("link", name=number))
        checklist = job.locator(".job-checklist")
        await expect(checklist).to_contain_text("Filling valve and CIP inspection")
        await expect(checklist).to_contain_text("3 h · stops the line")
        await expect(checklist).to_contain_text("0 of 3 answered")
        await _fits_the_screen(page)
        await screenshots.take(page, "field engineer", "checklist to answer")

        seals = "Inspect valve seals for wear and leaks"
        await job.get_by_role("button", name=f"OK: {seals}", exact=True).click()
        await expect(checklist).to_contain_text("1 of 3 answered")
        probe = "Check level probe calibration against the sight glass"
        await job.get_by_role("button", name=f"Not OK: {probe}").click()
        finding = "Reads 4 mm high, recalibrated"
        await job.get_by_label("What did you find? (required)").fill(finding)
        await job.get_by_role("button", name="Save").click()
        await expect(checklist).to_contain_text("2 of 3 answered · 1 not OK")
        await job.get_by_role("button", name="N/A: Verify CIP spray ball coverage").click()
        await job.get_by_role("button", name="Save").click()
        await expect(checklist).to_contain_text("Why does it not apply here?")
        await job.get_by_label("Why does it not apply here? (required)").fill(
            "CIP is run by the customer's own team"
        )
        await job.get_by_role("button", name="Save").click()
        await expect(checklist).to_contain_text("All 3 answered · 1 not OK")
        await _fits_the_screen(page)
        await screenshots.take(page, "field engineer", "checklist answered")

        await job.get_by_role("button", name="Service report and parts used").click()
        part_row = job.locator(".report-form fieldset.row-fields").first
        await expect(part_row).to_contain_text("Reserved for this job in Central parts warehouse")
        await expect(part_row.get_by_label("Part number")).to_have_value("FIL12-LEVEL-PROBE")
        await expect(part_row.get_by_label("Issued from store")).to_have_value("central")
        await part_row.scroll_into_view_if_needed()
        await _fits_the_screen(page)
        await screenshots.take(page, "field engineer", "report form with the parts to bring")
        watch.expect_clean()
    finally:
        await phone.close()

    desk = await context.new_page()
    desk_watch = PageWatch.on(desk)
    await sign_in(desk, "demo-desk", f"/tickets/{ticket}")
    report = desk.locator("section.card", has=desk.get_by_role("heading", name="Service report"))
    await expect(report).to_contain_text("Maintenance checklist")
    await expect(report).to_contain_text("Reads 4 mm high, recalibrated")
    await expect(report).to_contain_text("CIP is run by the customer's own team")
    await report.scroll_into_view_if_needed()
    await screenshots.take(desk, "desk", "ticket page with the answered checklist")
    desk_watch.expect_clean()
