// The customer's tickets, in plain language: what we are doing, what we promised and
// whether we kept it, and what we need from them. No internal codes, grades of the
// detector, rule names or alert numbers: only words a plant manager uses.

import { ApiError, apiGet } from "./api_client.js";
import { el, fill, openSections, reopenSections, userIsEditing } from "./dom.js";
import { fmtSiteTime, zoneAbbreviation } from "./plant_time.js";
import { signalLabel } from "./signal_labels.js";
import { CLOSED_STATES, CUSTOMER_CHANNELS, customerAction, customerClockLabel, customerStatus, label } from "./ticket_texts.js";
import { customerClosurePanels } from "./customer_closure.js";
import { evidencePanel } from "./evidence_panel.js";
import { mountIntakeForm } from "./ticket_intake_form.js";
import { notFound, resolveTicketId } from "./ticket_lookup.js";
import { chargeSentence } from "./ticket_costs_panel.js";

// The journey the customer sees, and which stage each state belongs to.
const STAGES = ["We have your request", "Working on it", "Engineer with you", "Fixed", "Your sign-off", "Your feedback"];
const STAGE_OF = {
  registered: 0, classified: 1, remote_diagnosis: 1, escalated: 1, reopened: 1, complaint: 1,
  waiting_for_parts: 1, waiting_for_customer: 1, dispatched: 2, en_route: 2, on_site: 2,
  repaired: 3, resolved_remotely: 3, verified: 4, signed_off: 5, survey: 5, reviewed: 6, archived: 6,
};

function machineText(ticket, ctx) {
  const found = ctx.machineById(ticket.machine_id);
  return found ? `${found.machine.name} on ${found.line.name}` : "your machine";
}

// What the request is about, in the customer's words or ours; never the detector's.
export function plainRequest(ticket, ctx) {
  if (ticket.channel !== "automatic_warning") return ticket.summary;
  // "Vibration RMS" → "vibration RMS": lower case in a sentence, acronyms kept.
  const signals = ticket.signals.map((s) => { const l = signalLabel(s); return l.charAt(0).toLowerCase() + l.slice(1); });
  const what = signals.length ? `unusual ${signals.join(" and ")}` : "unusual behaviour";
  if (ticket.ticket_type === "preventive_maintenance") {
    return `Our remote monitoring expects ${signals.join(" and ") || "a reading"} on ${machineText(ticket, ctx)} to reach its limit soon: we plan maintenance before it does`;
  }
  return `Our remote monitoring noticed ${what} on ${machineText(ticket, ctx)}`;
}

function promiseText(clock, zone) {
  const due = fmtSiteTime(clock.due_now || clock.due, zone);
  switch (clock.state) {
    case "met_on_time": return { mark: "✓", cls: "ok", text: `on time (${fmtSiteTime(clock.met_at, zone)})` };
    case "met_late": return { mark: "!", cls: "late", text: `later than promised (${fmtSiteTime(clock.met_at, zone)}, due ${due})` };
    case "breached": return { mark: "✖", cls: "late", text: `overdue since ${due}: we are sorry, it is our priority` };
    case "paused": return { mark: "⏸", cls: "paused", text: "paused while we wait for you" };
    case "not_needed": return { mark: "–", cls: "muted", text: "no visit needed" };
    default: return { mark: "◷", cls: "due", text: due };
  }
}

function promises(ticket, zone) {
  return el("ul", { class: "promises" }, (ticket.sla || []).map((clock) => {
    const p = promiseText(clock, zone);
    return el("li", { class: `promise promise-${p.cls}` },
      el("span", { class: "promise-label" }, customerClockLabel(clock.kind)),
      el("span", { class: "promise-value" }, el("span", { "aria-hidden": "true" }, `${p.mark} `), p.text));
  }));
}

function stepper(status, surveyAnswered) {
  const at = surveyAnswered ? STAGES.length : STAGE_OF[status] ?? 1;
  return el("ol", { class: "stepper", "aria-label": "Progress" }, STAGES.map((text, i) => el("li", {
    class: i < at ? "done" : i === at ? "now" : "",
    "aria-current": i === at ? "step" : null,
  }, el("span", { class: "step-mark", "aria-hidden": "true" }, i < at ? "✓" : String(i + 1)), el("span", {}, text))));
}

function actionNote(status, surveyAnswered) {
  const action = customerAction(status, surveyAnswered);
  return action ? el("p", { class: "action-needed", role: "note" }, el("strong", {}, "Your turn: "), action) : null;
}

// The status in words; a survey answered closes the customer's part.
function plainStatus(ticket, surveyAnswered) {
  return surveyAnswered ? "Done: thank you for your feedback" : customerStatus(ticket.status);
}

function ticketCard(ticket, ctx, answered) {
  const zone = ctx.zoneOfLine(ticket.line_id);
  return el("article", { class: "card portal-card" },
    el("div", { class: "portal-card-head" },
      el("h2", {}, el("a", { href: `/tickets/${ticket.id}` }, plainRequest(ticket, ctx))),
      el("span", { class: `plain-status${customerAction(ticket.status, answered.has(ticket.id)) ? " needs-you" : ""}` }, plainStatus(ticket, answered.has(ticket.id)))),
    el("p", { class: "muted small" },
      `Reference ${ticket.number} · ${label(CUSTOMER_CHANNELS, ticket.channel)} · ${fmtSiteTime(ticket.received_at, zone)}`),
    CLOSED_STATES.has(ticket.status) ? null : promises(ticket, zone),
    actionNote(ticket.status, answered.has(ticket.id)));
}

const SURVEY_STATES = new Set(["signed_off", "survey"]);

// Tickets whose survey the customer has answered, among those that ask for it.
async function answeredSurveys(tickets) {
  const asking = tickets.filter((t) => SURVEY_STATES.has(t.status));
  const answers = await Promise.all(asking.map((t) => apiGet(`/tickets/${t.id}/survey`).catch(() => null)));
  return new Set(asking.filter((t, i) => answers[i] && answers[i].survey).map((t) => t.id));
}

export async function mountCustomerTickets(root, ctx) {
  const list = el("div", { class: "portal-list" });
  const zone = ctx.lines.length ? ctx.lines[0].site.timezone : "UTC";
  root.replaceChildren(
    el("div", { class: "page-head" },
      el("div", {}, el("h1", {}, "Your service requests"),
        el("p", { class: "muted" }, `${ctx.me.customer_name || ""} · times are your site's local time (${zoneAbbreviation(zone)})`)),
      el("a", { class: "btn btn-primary btn-inline", href: "/tickets/new" }, "Report a problem")),
    list);

  async function load() {
    const tickets = await apiGet("/tickets", { limit: 500 });
    const answered = await answeredSurveys(tickets);
    const yourTurn = tickets.filter((t) => customerAction(t.status, answered.has(t.id)));
    // Done for the customer: closed by us, or signed off and the survey answered.
    const done = tickets.filter((t) => !yourTurn.includes(t)
      && (["reviewed", "archived"].includes(t.status) || (SURVEY_STATES.has(t.status) && answered.has(t.id))));
    const active = tickets.filter((t) => !yourTurn.includes(t) && !done.includes(t));
    const group = (title, items, empty) => el("section", { class: "portal-group" },
      el("h2", { class: "section-title" }, `${title} (${items.length})`),
      items.length ? items.map((t) => ticketCard(t, ctx, answered)) : el("p", { class: "muted" }, empty));
    fill(list,
      yourTurn.length ? group("Waiting for you", yourTurn, "") : null,
      group("Being worked on", active, "Nothing open: your lines need nothing from us right now."),
      group("Done", done, "No finished requests yet."));
    ctx.refreshed();
  }
  return { refresh: load };
}

const SEVERITY_ORDER = ["minor", "general", "serious", "major"];
const sameInstant = (a, b) => new Date(a).getTime() === new Date(b).getTime();

// Whether this stop raised the request's priority: a re-grade upwards written at the
// stop's own time. A priority raised earlier (e.g. by a worsening warning) is not the stop's.
function stopRaisedPriority(stop, events) {
  return events.some((e) => e.kind === "regraded" && sameInstant(e.at, stop.at)
    && SEVERITY_ORDER.indexOf(e.new_value) > SEVERITY_ORDER.indexOf(e.old_value));
}

// "Your machine runs again at 17:25 CET, after 45 min": the length from the stop before it.
function runningAgain(event, events, zone) {
  const at = fmtSiteTime(event.at, zone, { date: false });
  const stop = events.filter((e) => e.kind === "machine_stop" && new Date(e.at) <= new Date(event.at)).pop();
  if (!stop) return `Your machine runs again at ${at}`;
  const minutes = Math.round((new Date(event.at) - new Date(stop.at)) / 60000);
  const length = minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
  return `Your machine runs again at ${at}, after ${length}`;
}

const PLAIN_EVENTS = {
  registered: () => "We received your request",
  confirmation: () => "We confirmed your request",
  machine_stop: (event, events, zone) => {
    const stopped = `Your machine stopped at ${fmtSiteTime(event.at, zone, { date: false })}`;
    return stopRaisedPriority(event, events) ? `${stopped}: we raised the priority` : stopped;
  },
  machine_running: runningAgain,
  escalated: () => "Our specialists took over",
};

// The history a customer reads: status changes in their words, and the few other steps
// that concern them; internal notes stay internal.
function plainHistory(ticket, zone) {
  const items = [];
  for (const event of ticket.events) {
    let text = null;
    if (event.kind === "transition" && event.field === "status") text = customerStatus(event.new_value);
    else if (PLAIN_EVENTS[event.kind]) text = PLAIN_EVENTS[event.kind](event, ticket.events, zone);
    if (text && (!items.length || items[items.length - 1].text !== text)) items.push({ at: event.at, text });
  }
  return el("ol", { class: "timeline plain" }, items.reverse().map((item) => el("li", {},
    el("div", { class: "tl-head" }, el("strong", {}, item.text), el("span", { class: "muted small" }, fmtSiteTime(item.at, zone))))));
}

export async function mountCustomerTicket(root, ctx, param) {
  if (param === "new") return mountIntakeForm(root, ctx);
  const id = await resolveTicketId(param).catch(() => null);
  if (id === null) { notFound(root, param); return { refresh: async () => {} }; }
  let ticket = null;

  async function render() {
    const zone = ctx.zoneOfLine(ticket.line_id);
    const reload = () => load(true).catch(ctx.failed);
    const confirmation = ticket.events.find((e) => e.kind === "confirmation");
    const [closure, evidence, answered, charge] = await Promise.all([
      customerClosurePanels(ticket, ctx, reload).catch(() => []),
      evidencePanel(ticket, ctx).catch(() => null),
      answeredSurveys([ticket]),
      chargeSentence(ticket),
    ]);
    const surveyAnswered = answered.has(ticket.id);
    document.title = `${ticket.number} · LineCare`;
    const open = openSections(root);
    fill(root,
      el("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, el("a", { href: "/tickets" }, "← Your service requests")),
      el("div", { class: "portal-head" },
        el("p", { class: "muted small" }, `Reference ${ticket.number}`),
        el("h1", {}, plainRequest(ticket, ctx)),
        el("p", { class: "plain-status big" }, plainStatus(ticket, surveyAnswered))),
      stepper(ticket.status, surveyAnswered),
      actionNote(ticket.status, surveyAnswered),
      ...closure,
      el("div", { class: "ticket-grid" },
        el("div", { class: "ticket-main" },
          evidence,
          el("section", { class: "card" }, el("h2", { class: "card-title" }, "What happened so far"), plainHistory(ticket, zone)),
          confirmation ? el("details", { class: "card" }, el("summary", {}, "Our confirmation of your request"), el("div", { class: "symptoms" }, confirmation.note)) : null),
        el("div", { class: "ticket-side" },
          el("section", { class: "card" }, el("h2", { class: "card-title" }, "What we promised"), promises(ticket, zone),
            el("p", { class: "muted small" }, `Times are your site's local time, ${zoneAbbreviation(zone, ticket.received_at)} (${zone}).`)),
          el("section", { class: "card" }, el("h2", { class: "card-title" }, "About this request"),
            el("dl", { class: "record" },
              el("dt", {}, "Machine"), el("dd", {}, machineText(ticket, ctx)),
              el("dt", {}, "Reported"), el("dd", {}, `${fmtSiteTime(ticket.received_at, zone)} · ${label(CUSTOMER_CHANNELS, ticket.channel)}`),
              el("dt", {}, "Your contact"), el("dd", {}, ticket.contact_name || "the contact on your contract"),
              el("dt", {}, "Warranty"), el("dd", {}, ticket.under_warranty ? "Inside the warranty: free of charge" : "Outside the warranty: billed per your contract"),
              charge ? [el("dt", {}, "What you pay"), el("dd", {}, charge)] : null)))));
    reopenSections(root, open);
  }

  async function load(force) {
    if (!force && ticket && userIsEditing(root)) return;
    try {
      ticket = await apiGet(`/tickets/${id}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) { notFound(root, param); return; }
      throw err;
    }
    await render();
    ctx.refreshed();
  }
  return { refresh: () => load(false) };
}
