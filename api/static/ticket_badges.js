// A ticket's severity and status as pills: always their words, the colour only helps.

import { el } from "./dom.js";
import { label, SEVERITY_LABELS, STATUS_LABELS, STATUS_STAGE } from "./ticket_texts.js";

export function severityPill(severity) {
  return el("span", { class: `sev sev-${severity}` }, label(SEVERITY_LABELS, severity));
}

export function statusPill(status) {
  return el("span", { class: `status-pill stage-${STATUS_STAGE[status] || "work"}` }, label(STATUS_LABELS, status));
}
