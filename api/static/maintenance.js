// LineCare maintenance page: a line's maintenance calendar (due, planned, overdue, done,
// done late, skipped) from /api/maintenance/calendar, and the patrol inspection form from
// /api/inspections/templates, phone-sized, with a ticket per finding.
// Vanilla JS, no build step; strings from the API enter the page as text.
import { $, el, fill, fmtNumber } from "./dom.js";
import { fmtSiteDate, fmtSiteTime, zoneAbbreviation } from "./plant_time.js";
import {
  ApiError, SignedOut, apiGet, apiPost, goToSignIn, newIdempotencyKey, takeTokenFromLink,
} from "./api_client.js";
import { showSignedIn } from "./top_bar.js";

const DAY_MS = 24 * 3600 * 1000;
const STAFF = new Set(["desk", "support", "admin"]);
const INSPECTORS = new Set(["field_engineer", "desk", "support", "admin"]);
const STATUS_TEXT = {
  due: "Due", planned: "Planned", overdue: "Overdue", done: "Done", done_late: "Done late", skipped: "Skipped",
};
const INTERVAL_UNITS = { calendar_days: "days", running_hours: "running hours", parts: "parts" };
const SEVERITIES = ["minor", "general", "serious", "major"];
// The calendar looks a little back, so what was done late or skipped stays in sight.
const PAST_DAYS = 30;

const query = new URLSearchParams(window.location.search);
const view = {
  me: null,
  lines: [],
  lineId: query.get("line"),
  days: 90,
  tab: query.get("view") === "inspection" ? "inspection" : "calendar",
  calendar: null,
  template: null,
  formKey: newIdempotencyKey(),
  formLine: null,
  request: 0,
};

// ---------- helpers ----------

function line() { return view.lines.find((l) => l.id === view.lineId) || null; }
function zone() { return line() ? line().site.timezone : "UTC"; }
function when(iso) { return iso ? fmtSiteTime(iso, zone()) : "—"; }
function day(iso) { return iso ? fmtSiteDate(iso, zone()) : "no date yet"; }

function showStatus(box, text, kind) {
  box.textContent = text || "";
  box.className = `report-status${kind ? ` ${kind}` : ""}`;
}

function pill(status) {
  return el("span", { class: `mt-pill mt-${status}` }, STATUS_TEXT[status] || status);
}

function intervalText(entry) {
  if (entry.interval === null) return "";
  return `every ${fmtNumber(entry.interval, 0)} ${INTERVAL_UNITS[entry.interval_kind] || ""}${entry.overridden ? " (this machine)" : ""}`;
}

function ticketLink(entry) {
  if (!entry.ticket_id) return null;
  return el("a", { href: `/tickets/${entry.ticket_id}`, class: "mt-ticket" }, entry.ticket_number || `#${entry.ticket_id}`);
}

// ---------- calendar ----------

function tiles(entries) {
  const now = Date.parse(view.calendar.now);
  const soon = entries.filter((e) => ["due", "planned"].includes(e.status) && e.due_at
    && Date.parse(e.due_at) - now <= 14 * DAY_MS);
  const count = (status) => entries.filter((e) => e.status === status).length;
  const tile = (label, value, tone, note) => el("div", { class: `card mt-tile mt-tile-${tone}` },
    el("div", { class: "muted small" }, label), el("div", { class: "mt-tile-value" }, String(value)),
    el("div", { class: "muted small" }, note));
  return [
    tile("Overdue", count("overdue"), count("overdue") ? "bad" : "ok", "window passed, not done"),
    tile("Due in 14 days", soon.length, soon.length ? "warn" : "ok", "planned or projected"),
    tile("Tickets open", count("planned") + count("overdue"), "neutral", "preventive maintenance"),
    tile("Done late / skipped", count("done_late") + count("skipped"), count("done_late") + count("skipped") ? "warn" : "ok", "in this range"),
  ];
}

// The last month's label would run past the calendar's right edge: it is written to the
// left of its tick instead, and a label it would then cover keeps only its tick line.
function fitTicks(axis) {
  const ticks = axis ? [...axis.querySelectorAll(".mt-tick")] : [];
  const last = ticks[ticks.length - 1];
  if (!last || last.getBoundingClientRect().right <= axis.getBoundingClientRect().right) return;
  last.classList.add("mt-tick-end");
  const before = ticks[ticks.length - 2];
  if (before && before.getBoundingClientRect().right > last.getBoundingClientRect().left) {
    before.classList.add("mt-tick-bare");
    before.setAttribute("aria-hidden", "true");
  }
}

// One row per machine, each occurrence a marker placed by its due date.
function timeline(calendar) {
  const start = Date.parse(calendar.since);
  const end = Date.parse(calendar.until);
  const at = (iso) => `${Math.max(0, Math.min(100, ((Date.parse(iso) - start) / (end - start)) * 100))}%`;
  const machines = line() ? line().machines : [];
  const months = [];
  const cursor = new Date(start);
  cursor.setUTCDate(1);
  while (cursor.getTime() < end) {
    if (cursor.getTime() >= start) months.push(cursor.getTime());
    cursor.setUTCMonth(cursor.getUTCMonth() + 1);
  }
  const axis = el("div", { class: "mt-axis" },
    // Month ticks read as ISO year-month ("2027-03"); fitTicks keeps the last one whole.
    ...months.map((ms) => el("span", { class: "mt-tick", style: `left:${at(new Date(ms).toISOString())}` },
      fmtSiteDate(new Date(ms).toISOString(), zone()).slice(0, 7))),
    el("span", { class: "mt-now", style: `left:${at(calendar.now)}`, title: `now: ${when(calendar.now)}` }));
  const rows = machines.map((machine) => {
    const mine = calendar.entries.filter((e) => e.machine_id === machine.id && e.due_at);
    return el("div", { class: "mt-row" },
      el("div", { class: "mt-row-name" }, machine.name),
      el("div", { class: "mt-track" },
        el("span", { class: "mt-now", style: `left:${at(calendar.now)}` }),
        ...mine.map((e) => el("span", {
          class: `mt-mark mt-${e.status}${e.stops_line ? " mt-stops" : ""}`,
          style: `left:${at(e.due_at)}`,
          title: `${e.title}: ${STATUS_TEXT[e.status]}, ${when(e.due_at)}`,
        }))));
  });
  return [axis, ...rows];
}

function entryRow(entry, { actions }) {
  const details = [
    entry.window_start ? `${when(entry.window_start)} · ${fmtNumber(entry.duration_hours, 1)} h` : "no date yet: the machine has not run lately",
    intervalText(entry),
  ].filter(Boolean).join(" · ");
  const usage = entry.share_used !== null && entry.interval_kind !== "calendar_days"
    ? el("div", { class: "mt-usage", title: `${Math.round(entry.share_used * 100)} % of the interval used` },
      el("span", { style: `width:${Math.min(100, entry.share_used * 100)}%` }))
    : null;
  const closed = entry.closed_at
    ? el("div", { class: "muted small" }, entry.status === "skipped"
      ? `Skipped ${when(entry.closed_at)} by ${entry.closed_by || "—"}: ${entry.skip_reason}`
      : `Done ${when(entry.closed_at)}`)
    : null;
  const notice = entry.production_notice_at
    ? el("div", { class: "muted small" }, `Production told ${when(entry.production_notice_at)}`) : null;
  return el("li", { class: "mt-entry" },
    el("div", { class: "mt-entry-date" }, el("strong", {}, day(entry.due_at)), pill(entry.status)),
    el("div", { class: "mt-entry-main" },
      el("div", { class: "mt-entry-title" }, entry.title,
        entry.stops_line ? el("span", { class: "mt-badge" }, "stops the line") : null),
      el("div", { class: "muted small" }, `${entry.machine_name} · ${details}`),
      usage, notice, closed,
      entry.checklist.length ? el("details", { class: "mt-checklist" },
        el("summary", {}, `Checklist (${entry.checklist.length})`),
        el("ul", {}, ...entry.checklist.map((item) => el("li", {}, item))),
        entry.parts.length ? el("div", { class: "small" }, `Parts: ${entry.parts.map((p) => `${p.quantity} × ${p.part_number}`).join(", ")}`) : null,
        entry.skills.length ? el("div", { class: "small muted" }, `Skills: ${entry.skills.join(", ")}`) : null) : null),
    el("div", { class: "mt-entry-side" }, ticketLink(entry), actions ? skipControl(entry) : null));
}

function skipControl(entry) {
  if (!STAFF.has(view.me.role) || !entry.occurrence_id || !["planned", "overdue"].includes(entry.status)) return null;
  const reason = el("input", { type: "text", placeholder: "Why skip it?", "aria-label": "Reason to skip", maxlength: "500" });
  const status = el("div", { class: "small" });
  const form = el("form", { class: "mt-skip", hidden: true }, reason,
    el("button", { class: "btn btn-outline", type: "submit" }, "Skip"), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!reason.value.trim()) { status.textContent = "Skipping needs a reason."; return; }
    try {
      await apiPost(`/maintenance/tasks/${entry.occurrence_id}/skip`, { reason: reason.value.trim() });
      await loadCalendar();
    } catch (err) { status.textContent = err.message; }
  });
  const open = el("button", { class: "btn btn-link", type: "button" }, "Skip…");
  open.addEventListener("click", () => { form.hidden = false; open.hidden = true; reason.focus(); });
  return el("div", {}, open, form);
}

function renderCalendar() {
  const calendar = view.calendar;
  const upcoming = calendar.entries.filter((e) => ["overdue", "planned", "due"].includes(e.status));
  const past = calendar.entries.filter((e) => ["done", "done_late", "skipped"].includes(e.status));
  fill($("tiles"), ...tiles(calendar.entries));
  fill($("timeline"), ...timeline(calendar));
  fitTicks($("timeline").querySelector(".mt-axis"));
  fill($("timeline-legend"), ...["overdue", "planned", "due", "done", "done_late", "skipped"].map((s) =>
    el("span", { class: "mt-legend-item" }, el("span", { class: `mt-dot mt-${s}` }), STATUS_TEXT[s])));
  fill($("agenda"), upcoming.length
    ? el("ul", { class: "mt-list" }, ...upcoming.map((e) => entryRow(e, { actions: true })))
    : el("p", { class: "muted" }, "Nothing due in this range."));
  fill($("history"), past.length
    ? el("ul", { class: "mt-list" }, ...past.reverse().map((e) => entryRow(e, { actions: false })))
    : el("p", { class: "muted" }, "Nothing done or skipped in this range yet."));
}

async function loadCalendar() {
  const request = ++view.request;
  showStatus($("page-status"), "Loading…", "loading");
  try {
    const now = Date.now();
    const calendar = await apiGet("/maintenance/calendar", {
      line_id: view.lineId,
      from: new Date(now - PAST_DAYS * DAY_MS).toISOString(),
      to: new Date(now + view.days * DAY_MS).toISOString(),
    });
    if (request !== view.request) return;
    view.calendar = calendar;
    $("as-of").textContent = `as of ${when(calendar.now)}`;
    $("due-zone").textContent = `times in the site's zone (${zoneAbbreviation(zone(), calendar.now)}, ${zone()})`;
    showStatus($("page-status"), "");
    renderCalendar();
  } catch (err) { handle(err); }
}

// ---------- inspection form ----------

function itemField(item) {
  const name = `item-${item.key}`;
  let input;
  if (item.kind === "text") {
    input = el("textarea", { id: name, name, rows: "2", maxlength: "4000" });
  } else {
    const values = item.kind === "yes_no" ? ["yes", "no"] : item.options;
    input = el("div", { class: "mt-choices", role: "radiogroup", id: name },
      ...values.map((value) => el("label", { class: "mt-choice" },
        el("input", { type: "radio", name, value }), el("span", {}, value))));
  }
  return el("div", { class: "mt-field", "data-item": item.key, "data-kind": item.kind },
    el("label", { for: name, class: "mt-label" }, item.label, item.required ? el("span", { class: "mt-req", "aria-hidden": "true" }, " *") : null),
    input);
}

function findingField() {
  const machines = line() ? line().machines : [];
  const box = el("div", { class: "mt-finding" },
    el("select", { class: "f-machine", "aria-label": "Machine" },
      el("option", { value: "" }, "Whole line"),
      ...machines.map((m) => el("option", { value: m.id }, m.name))),
    el("select", { class: "f-severity", "aria-label": "Grade" },
      ...SEVERITIES.map((s) => el("option", { value: s, selected: s === "general" ? "" : null }, s))),
    el("textarea", { class: "f-text", rows: "2", placeholder: "What was found", "aria-label": "Finding", maxlength: "4000" }),
    el("label", { class: "mt-choice" }, el("input", { type: "checkbox", class: "f-work", checked: "" }), el("span", {}, "needs work")));
  const remove = el("button", { type: "button", class: "btn btn-link" }, "Remove");
  remove.addEventListener("click", () => box.remove());
  box.append(remove);
  return box;
}

function renderForm() {
  const template = view.template;
  if (!template) { fill($("form-items"), el("p", { class: "muted" }, "No inspection template is set up.")); return; }
  $("form-title").textContent = `${template.title} · ${line() ? line().name : ""}`;
  fill($("form-items"), ...template.items.map(itemField));
  fill($("findings"));
}

function formBody() {
  const answers = [];
  for (const field of $("form-items").querySelectorAll(".mt-field")) {
    const kind = field.dataset.kind;
    const value = kind === "text"
      ? field.querySelector("textarea").value.trim()
      : (field.querySelector("input:checked") || {}).value || "";
    if (value) answers.push({ item: field.dataset.item, value });
  }
  const findings = [...$("findings").querySelectorAll(".mt-finding")]
    .map((box) => ({
      machine_id: box.querySelector(".f-machine").value || null,
      severity: box.querySelector(".f-severity").value,
      description: box.querySelector(".f-text").value.trim(),
      needs_work: box.querySelector(".f-work").checked,
    }))
    .filter((f) => f.description);
  return { line_id: view.lineId, template: view.template.key, answers, findings };
}

function inspectionCard(record) {
  const findings = record.findings.map((f) => {
    const machine = line() && line().machines.find((m) => m.id === f.machine_id);
    let action = null;
    if (f.ticket_id) action = el("a", { href: `/tickets/${f.ticket_id}` }, "ticket");
    else if (f.needs_work && f.machine_id && INSPECTORS.has(view.me.role)) {
      action = el("button", { class: "btn btn-outline", type: "button" }, "Open a ticket");
      action.addEventListener("click", async () => {
        action.disabled = true;
        try {
          const opened = await apiPost(`/inspections/${record.id}/findings/${f.position}/ticket`, {});
          action.replaceWith(el("a", { href: `/tickets/${opened.ticket_id}` }, opened.ticket_number));
        } catch (err) { action.disabled = false; action.textContent = err.message; }
      });
    }
    return el("li", { class: "mt-finding-row" },
      el("span", { class: `mt-sev mt-sev-${f.severity}` }, f.severity),
      el("span", {}, `${machine ? machine.name : "Line"}: ${f.description}`), action);
  });
  return el("details", { class: "mt-record" },
    el("summary", {}, `${when(record.inspected_at)} · ${record.inspector} · ${record.findings.length} finding(s)`),
    el("dl", { class: "mt-answers" }, ...record.answers.flatMap((a) => [el("dt", {}, a.label), el("dd", {}, a.value)])),
    findings.length ? el("ul", { class: "mt-list" }, ...findings) : null);
}

async function loadInspections() {
  try {
    const records = await apiGet(`/lines/${encodeURIComponent(view.lineId)}/inspections`);
    fill($("inspection-history"), records.length
      ? el("div", {}, ...records.map(inspectionCard))
      : el("p", { class: "muted" }, "No inspection of this line yet."));
  } catch (err) { handle(err); }
}

async function submitInspection(event) {
  event.preventDefault();
  const button = $("submit-inspection");
  button.disabled = true;
  showStatus($("form-status"), "Saving…", "loading");
  try {
    const record = await apiPost("/inspections", formBody(), { idempotencyKey: view.formKey });
    view.formKey = newIdempotencyKey();
    showStatus($("form-status"), "Saved. Findings that need work can open tickets below.");
    const card = inspectionCard(record);
    card.open = true;
    fill($("inspection-result"), el("div", { class: "card" }, card));
    renderForm();
    await loadInspections();
  } catch (err) {
    if (err instanceof SignedOut) { handle(err); return; }
    showStatus($("form-status"), err.message, "error");
  } finally { button.disabled = false; }
}

// ---------- page ----------

function handle(err) {
  if (err instanceof SignedOut) { goToSignIn(); return; }
  showStatus($("page-status"), err instanceof ApiError ? err.message : `Something went wrong: ${err.message}`, "error");
}

function showTab(tab) {
  view.tab = tab;
  for (const button of $("tabs").querySelectorAll("button")) button.classList.toggle("active", button.dataset.tab === tab);
  $("calendar-view").hidden = tab !== "calendar";
  $("inspection-view").hidden = tab !== "inspection";
  $("range-control").hidden = tab !== "calendar";
  const url = new URL(window.location.href);
  url.searchParams.set("line", view.lineId);
  if (tab === "inspection") url.searchParams.set("view", "inspection"); else url.searchParams.delete("view");
  history.replaceState(null, "", url);
  if (tab === "inspection") {
    // A half-filled form survives a look at the calendar; another line starts a new one.
    if (view.formLine !== view.lineId) { renderForm(); view.formLine = view.lineId; }
    loadInspections();
  } else loadCalendar();
}

async function start() {
  takeTokenFromLink();
  try {
    const [me, lines, templates] = await Promise.all([
      apiGet("/me"), apiGet("/lines"), apiGet("/inspections/templates"),
    ]);
    view.me = me;
    view.lines = lines;
    view.template = templates[0] || null;
  } catch (err) { handle(err); return; }
  showSignedIn(view.me);
  $("maintenance-page").hidden = false;
  if (!view.lines.length) { showStatus($("page-status"), "No lines to show."); return; }
  if (!line()) view.lineId = view.lines[0].id;
  fill($("line-select"), ...view.lines.map((l) => el("option", { value: l.id, selected: l.id === view.lineId ? "" : null },
    view.me.role === "customer" ? l.name : `${l.name} · ${l.customer.name}`)));
  $("page-sub").textContent = "Planned maintenance from the plans per machine model; patrol inspections on site.";
  $("line-select").addEventListener("change", () => { view.lineId = $("line-select").value; showTab(view.tab); });
  for (const button of $("range-preset").querySelectorAll("button")) {
    button.addEventListener("click", () => {
      view.days = Number(button.dataset.days);
      for (const other of $("range-preset").querySelectorAll("button")) other.classList.toggle("active", other === button);
      loadCalendar();
    });
  }
  const inspector = INSPECTORS.has(view.me.role);
  $("tabs").querySelector('[data-tab="inspection"]').textContent = inspector ? "Inspection" : "Inspections";
  $("inspection-form").hidden = !inspector;
  for (const button of $("tabs").querySelectorAll("button")) button.addEventListener("click", () => showTab(button.dataset.tab));
  $("add-finding").addEventListener("click", () => $("findings").append(findingField()));
  $("inspection-form").addEventListener("submit", submitInspection);
  showTab(view.tab);
}

start();
