// A ticket's audit trail as a timeline: who, when (in the site's zone), what, from what.

import { el } from "./dom.js";
import { fmtSiteTime } from "./plant_time.js";
import { EVENT_LABELS, label, SEVERITY_LABELS, STATUS_LABELS } from "./ticket_texts.js";

const VALUE_LABELS = { status: STATUS_LABELS, severity: SEVERITY_LABELS };

// "severity: General → Serious"; a first value ("none → breach") says no more than the note.
function change(event) {
  if (!event.field || isStatusMove(event)) return null;
  if (event.old_value === null || event.old_value === "") return null;
  const words = VALUE_LABELS[event.field] || {};
  const value = (v) => (v === null || v === undefined || v === "" ? "none" : label(words, v));
  return el("div", { class: "change" },
    el("span", { class: "muted" }, `${event.field.replaceAll("_", " ")}: `),
    el("span", { class: "old" }, value(event.old_value)), " → ",
    el("strong", {}, value(event.new_value)));
}

function isStatusMove(event) { return event.kind === "transition" && event.field === "status"; }

// A status move reads as the move itself: "Dispatched → On site".
function heading(event) {
  if (!isStatusMove(event)) return label(EVENT_LABELS, event.kind);
  return `${label(STATUS_LABELS, event.old_value)} → ${label(STATUS_LABELS, event.new_value)}`;
}

// UTC times written into notes ("due 2026-12-06 13:00 UTC", "2026-12-06T13:17:00+00:00")
// read in the site's zone like every other time on the page.
const UTC_TIME = /(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(?: UTC|Z|\+00:00)/g;
function inSiteTime(text, zone) {
  return text.replace(UTC_TIME, (match, day, time) => fmtSiteTime(`${day}T${time}:00Z`, zone));
}

// A long note (the confirmation read back to the customer) folds after its first line.
function noteOf(event, zone) {
  if (!event.note) return null;
  const lines = inSiteTime(event.note, zone).split("\n");
  if (lines.length <= 3) return el("div", { class: "tl-note" }, lines.join("\n"));
  return el("details", { class: "tl-note" }, el("summary", {}, `${lines.find((l) => l.trim()) || ""} …`), lines.slice(1).join("\n"));
}

export function timelinePanel(ticket, zone) {
  const events = [...ticket.events].reverse();
  return el("section", { class: "card", "aria-labelledby": `timeline-${ticket.id}` },
    el("div", { class: "card-head" },
      el("h2", { class: "card-title", id: `timeline-${ticket.id}` }, "Timeline"),
      el("span", { class: "muted small" }, `newest first · ${events.length} entries`)),
    events.length ? el("ol", { class: "timeline" }, events.map((event) => el("li", { class: `tl-${event.kind}` },
      el("div", { class: "tl-head" },
        el("strong", {}, heading(event)),
        el("span", { class: "muted small" }, `${fmtSiteTime(event.at, zone)} · ${event.actor_name || "LineCare"}`)),
      change(event),
      noteOf(event, zone))))
      : el("p", { class: "muted" }, "Nothing recorded yet."));
}
