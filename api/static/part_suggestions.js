// Suggested parts on a ticket (GET /api/tickets/{id}/part-suggestions): the parts likeliest
// to fix the fault, with how often each fixed it and where it is in stock, nearest first.
// On the dispatch form the desk ticks the parts to reserve and the store to take each from.

import { apiGet } from "./api_client.js";
import { el } from "./dom.js";

const NEARNESS = ["engineer's van", "site's region", "central store", "other store"];
const EVIDENCE = { fault_code: "same fault code", signals: "same driving signals", model: "this machine model" };

export function loadSuggestions(ticketId, engineer) {
  return apiGet(`/tickets/${ticketId}/part-suggestions`, engineer ? { engineer } : undefined);
}

function fixText(s) {
  if (!s.used_on) return "not used on an earlier repair";
  const fixed = s.judged ? `fixed it ${s.fixed} of ${s.judged} times` : "too recent to tell if it fixed it";
  return `used on ${s.used_on} earlier repair${s.used_on === 1 ? "" : "s"} (${EVIDENCE[s.evidence_level] || s.evidence_level}); ${fixed}`;
}

function stockText(stock) {
  if (!stock.length) return el("span", { class: "warning-text" }, "in no store");
  return el("ul", { class: "plain-list small" }, stock.map((s) => el("li", { class: s.available > 0 ? "" : "muted" },
    `${s.store_name} (${NEARNESS[s.nearness] || "store"}): ${s.available} available`
    + (s.held_for_ticket ? `, ${s.held_for_ticket} held for this ticket` : ""))));
}

// A chooser for one suggestion: reserve or not, from which store (those that have it), how many.
function picker(s, index) {
  const stores = s.stock.filter((st) => st.available > 0);
  const id = `suggest-${index}`;
  const box = el("input", { type: "checkbox", id, "data-part": s.part_number, disabled: !stores.length });
  const store = el("select", { "aria-label": `Store for ${s.part_number}`, disabled: !stores.length },
    stores.map((st) => el("option", { value: st.store_id }, `${st.store_name} (${st.available})`)));
  const qty = el("input", { type: "number", min: 1, value: 1, "aria-label": `Quantity of ${s.part_number}`, inputmode: "numeric" });
  return {
    node: el("fieldset", { class: "row-fields" }, el("legend", { class: "visually-hidden" }, `Reserve ${s.part_number}`),
      el("label", { class: "check-field", for: id }, box, stores.length ? "Reserve" : "Out of stock"),
      el("label", {}, "From", store),
      el("label", { class: "narrow-field" }, "Qty", qty)),
    value: () => (box.checked ? { part_number: s.part_number, store_id: store.value, quantity: Number(qty.value) || 1 } : null),
  };
}

// `pickable`: the desk chooses parts to reserve; `picked()` lists them for the dispatch.
export function suggestionsView(found, { pickable = false } = {}) {
  const pickers = [];
  const codes = found.fault_codes.length ? `fault ${found.fault_codes.join(", ")}` : "no fault code";
  const signals = found.signals.length ? `signals ${found.signals.join(", ")}` : "no driving signals";
  const rows = found.suggestions.map((s, i) => {
    const pick = pickable ? picker(s, i) : null;
    if (pick) pickers.push(pick);
    return el("li", { class: "candidate" },
      el("div", { class: "candidate-head" },
        el("span", { class: "candidate-rank" }, `#${s.rank}`),
        el("strong", {}, s.part_number),
        el("span", { class: "muted small" }, `${s.description}${s.part_class ? ` · ${s.part_class}` : ""}`),
        el("span", { class: "candidate-score", title: "The estimated share of such faults that needed this part" }, `${Math.round(s.score * 100)} %`)),
      el("ul", { class: "reasons" },
        el("li", {}, fixText(s)),
        s.knowledge_entries.length ? el("li", {}, `Knowledge base: ${s.knowledge_entries.join("; ")}`) : null),
      stockText(s.stock),
      pick ? pick.node : null);
  });
  const held = found.ticket_parts.filter((p) => p.reserved > 0 || p.issued > 0);
  const node = el("div", { class: "part-suggestions" },
    el("p", { class: "muted small" }, `${found.machine_model} · ${codes} · ${signals} · from ${found.repairs_considered} earlier repair${found.repairs_considered === 1 ? "" : "s"} of the model`),
    rows.length ? el("ol", { class: "candidates", "aria-label": "Suggested parts, likeliest first" }, rows)
      : el("p", { class: "muted" }, "No parts to suggest: no earlier repairs and no knowledge-base entry name any."),
    held.length ? el("p", { class: "small" }, el("strong", {}, "Held for this ticket: "),
      held.map((p) => `${p.reserved ? `${p.reserved} × ${p.part_number} reserved` : ""}${p.issued ? `${p.reserved ? ", " : ""}${p.issued} × ${p.part_number} issued` : ""} in ${p.store_name}`).join("; ")) : null);
  return { node, picked: () => pickers.map((p) => p.value()).filter(Boolean) };
}

// The read-only card for the ticket page once the ticket is dispatched (or cannot be).
export async function suggestionsCard(ticket) {
  const found = await loadSuggestions(ticket.id);
  return el("section", { class: "card", "aria-labelledby": `suggest-${ticket.id}` },
    el("h2", { class: "card-title", id: `suggest-${ticket.id}` }, "Suggested parts"),
    suggestionsView(found).node);
}
