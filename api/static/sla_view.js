// SLA clocks as the service pages show them: time left or overdue per promise, a warning
// from 80 % of the promised time, and the outcome once met. Each state has its own word
// and symbol as well as its colour, so nothing is told by colour alone.

import { el } from "./dom.js";
import { fmtSiteTime as siteTimeText } from "./plant_time.js";
import { CLOCK_LABELS, label } from "./ticket_texts.js";

const RUNNING = new Set(["running", "warning", "breached"]);

const STATE_MARKS = {
  running: { symbol: "◷", word: "" },
  warning: { symbol: "⚠", word: "at risk · " },
  breached: { symbol: "✖", word: "" },
  paused: { symbol: "⏸", word: "" },
  met_on_time: { symbol: "✓", word: "" },
  met_late: { symbol: "✓", word: "" },
  not_needed: { symbol: "–", word: "" },
};

function pausedText(clock) { return clock.state === "paused" ? "paused: waiting for the customer" : clock.text; }

// One clock as a badge: "⚠ at risk · 42 min left", with the deadline in the tooltip.
export function clockBadge(clock, zone, { withLabel = false } = {}) {
  const mark = STATE_MARKS[clock.state] || STATE_MARKS.running;
  const due = clock.due_now || clock.due;
  const tip = [
    `${label(CLOCK_LABELS, clock.kind)}: due ${siteTimeText(due, zone)}`,
    clock.due_now && clock.due_now !== clock.due ? `(first promised for ${siteTimeText(clock.due, zone)}, moved by waits for the customer)` : "",
    clock.met_at ? `met ${siteTimeText(clock.met_at, zone)}` : "",
    RUNNING.has(clock.state) ? `${Math.round(clock.used * 100)} % of the promised time used` : "",
  ].filter(Boolean).join(" · ");
  return el("span", { class: `clock-badge clock-${clock.state}`, title: tip },
    el("span", { class: "clock-symbol", "aria-hidden": "true" }, mark.symbol), " ",
    withLabel ? el("span", { class: "clock-kind" }, `${label(CLOCK_LABELS, clock.kind)}: `) : null,
    `${mark.word}${pausedText(clock)}`);
}

// The three clocks as a block: label, badge, deadline and a bar of the time used.
export function clockPanel(clocks, zone) {
  if (!clocks.length) return el("p", { class: "muted" }, "No service-level clocks on this ticket.");
  return el("div", { class: "clock-panel" }, clocks.map((clock) => {
    const due = clock.due_now || clock.due;
    const used = Math.max(0, Math.min(1, clock.used));
    return el("div", { class: `clock-row clock-${clock.state}` },
      el("div", { class: "clock-head" },
        el("strong", {}, label(CLOCK_LABELS, clock.kind)),
        clockBadge(clock, zone)),
      clock.state === "not_needed" ? null : el("div", { class: "clock-bar", role: "img", "aria-label": `${Math.round(used * 100)} % of the time used` },
        el("span", { style: `width: ${used * 100}%` }), el("i", { class: "clock-mark80" })),
      el("div", { class: "muted small" },
        clock.state === "not_needed" ? "No visit needed" : `Due ${siteTimeText(due, zone)}`,
        clock.met_at ? ` · met ${siteTimeText(clock.met_at, zone)}` : ""));
  }));
}

// The running clock closest to (or furthest past) its deadline, or null when none runs.
export function urgentClock(ticket) {
  const running = (ticket.sla || []).filter((c) => RUNNING.has(c.state));
  if (!running.length) return null;
  return running.reduce((a, b) => (b.seconds_left < a.seconds_left ? b : a));
}

export function isAtRisk(ticket) {
  return (ticket.sla || []).some((c) => c.state === "warning" || c.state === "breached");
}

export function isBreached(ticket) {
  return (ticket.sla || []).some((c) => c.state === "breached");
}

// Sorting key: breached first (most overdue first), then least time left; tickets whose
// clocks are paused or met last.
export function urgencySeconds(ticket) {
  const clock = urgentClock(ticket);
  return clock ? clock.seconds_left : Number.POSITIVE_INFINITY;
}
