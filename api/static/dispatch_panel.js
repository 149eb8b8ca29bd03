// Dispatch on the ticket page: the field engineers ranked for the ticket with the reasons,
// the suggested parts to reserve (stock shown for the chosen engineer's van, the site's
// region and the central store), the dispatch itself (tools, spare parts, a note), and the
// order once it is sent.

import { ApiError, apiGet, apiPost, newIdempotencyKey } from "./api_client.js";
import { el, fmtNumber } from "./dom.js";
import { fmtSiteTime } from "./plant_time.js";
import { label, SEVERITY_LABELS, STATUS_LABELS } from "./ticket_texts.js";
import { loadSuggestions, suggestionsView } from "./part_suggestions.js";

const DISPATCHERS = new Set(["desk", "support", "admin"]);
const FACTOR_LABELS = { skill: "Skill", certification: "Certificate", workload: "Workload", proximity: "Distance", region: "Region", urgency: "Urgency" };

function scoreBar(part) {
  return el("span", { class: "score-part", title: `${label(FACTOR_LABELS, part.factor)}: ${Math.round(part.value * 100)} % × weight ${part.weight} = ${part.points} points` },
    `${label(FACTOR_LABELS, part.factor)} ${fmtNumber(part.points, 0)}`);
}

function candidateRow(candidate, zone, choose, chosen) {
  const radio = el("input", { type: "radio", name: "dispatch-engineer", value: candidate.login, id: `eng-${candidate.login}`, onchange: () => choose(candidate) });
  radio.checked = chosen === candidate.login;
  const travel = candidate.travel_minutes === null ? "distance unknown"
    : `${fmtNumber(candidate.distance_km, 0)} km · ~${candidate.travel_minutes} min`;
  return el("li", { class: `candidate${candidate.misses_arrival_deadline ? " late" : ""}` },
    el("label", { for: radio.id, class: "candidate-head" }, radio,
      el("span", { class: "candidate-rank" }, `#${candidate.rank}`),
      el("strong", {}, candidate.display_name),
      el("span", { class: "muted small" }, `${candidate.home_region_name || candidate.home_region || "no region"} · ${candidate.open_jobs} open job${candidate.open_jobs === 1 ? "" : "s"} · ${travel}`),
      el("span", { class: "candidate-score" }, `${fmtNumber(candidate.score, 0)} points`)),
    el("div", { class: "score-parts" }, candidate.parts.map(scoreBar)),
    el("ul", { class: "reasons" },
      candidate.reasons.map((r) => el("li", {}, r)),
      candidate.warnings.map((w) => el("li", { class: "warning-text" }, `⚠ ${w}`)),
      candidate.estimated_arrival ? el("li", { class: candidate.misses_arrival_deadline ? "warning-text" : "" },
        `${candidate.misses_arrival_deadline ? "✖ Would arrive too late: " : "Could arrive "}${fmtSiteTime(candidate.estimated_arrival, zone)}`) : null));
}

function partRows() {
  const box = el("div", { class: "rows" });
  const add = () => {
    const row = el("fieldset", { class: "row-fields" }, el("legend", { class: "visually-hidden" }, "Part to bring"),
      el("label", {}, "Part number", el("input", { "data-key": "part_number", maxlength: 200 })),
      el("label", { class: "narrow-field" }, "Qty", el("input", { "data-key": "quantity", type: "number", min: 1, value: 1, inputmode: "numeric" })),
      el("label", {}, "Description", el("input", { "data-key": "description", maxlength: 300 })),
      el("button", { type: "button", class: "btn btn-plain", onclick: () => row.remove() }, "Remove"));
    box.append(row);
  };
  const values = () => [...box.querySelectorAll("fieldset")].map((row) => ({
    part_number: row.querySelector('[data-key="part_number"]').value.trim(),
    quantity: Number(row.querySelector('[data-key="quantity"]').value) || 1,
    description: row.querySelector('[data-key="description"]').value.trim(),
  })).filter((p) => p.part_number);
  return { box, add, values };
}

function dispatchForm(ticket, ctx, reload, candidates) {
  const zone = ctx.zoneOfLine(ticket.line_id);
  const key = newIdempotencyKey();
  let chosen = candidates.candidates.length ? candidates.candidates[0].login : null;
  const tools = el("input", { id: "dispatch-tools", type: "text", placeholder: "e.g. torque wrench, vibration meter", maxlength: 2000 });
  const note = el("textarea", { id: "dispatch-note", rows: 2, maxlength: 4000 });
  const parts = partRows();
  const message = el("div", { "aria-live": "assertive" });
  const submit = el("button", { type: "submit", class: "btn btn-primary btn-inline" }, "Dispatch");
  const list = el("ol", { class: "candidates", "aria-label": "Engineers, best first" });
  const suggested = el("div", { class: "suggested-parts", "aria-live": "polite" }, el("p", { class: "muted small" }, "Loading the suggested parts…"));
  let suggestions = null;
  const showSuggestions = async (engineer) => {
    try {
      const found = await loadSuggestions(ticket.id, engineer);
      suggestions = suggestionsView(found, { pickable: true });
      suggested.replaceChildren(suggestions.node);
    } catch (err) {
      suggestions = null;
      suggested.replaceChildren(el("p", { class: "muted small" }, `No suggested parts: ${err.message}`));
    }
  };
  const choose = (candidate) => {
    chosen = candidate.login;
    submit.textContent = `Dispatch to ${candidate.display_name}`;
    showSuggestions(candidate.login);
  };
  list.replaceChildren(...candidates.candidates.map((c) => candidateRow(c, zone, choose, chosen)));
  if (candidates.candidates.length) choose(candidates.candidates[0]);
  else showSuggestions(null);
  const form = el("form", { class: "dispatch-form" },
    el("p", { class: "muted small" },
      `${label(SEVERITY_LABELS, candidates.severity)} ${candidates.machine_model} at ${candidates.site_name}${candidates.site_region ? ` (${candidates.site_region_name || candidates.site_region})` : ""}`,
      candidates.arrival_due ? ` · on site by ${fmtSiteTime(candidates.arrival_due, zone)}` : " · no arrival deadline",
      ` · ranked by ${Object.entries(candidates.weights).map(([f, w]) => `${label(FACTOR_LABELS, f).toLowerCase()} ${Math.round(w * 100)} %`).join(", ")}`),
    candidates.candidates.length ? list : el("p", { class: "error" }, "No active field engineer to dispatch to."),
    el("h3", {}, "Suggested parts: tick to reserve them with the dispatch"), suggested,
    el("div", { class: "form-field" }, el("label", { for: "dispatch-tools" }, "Tools to bring (comma-separated)"), tools),
    el("h3", {}, "Other spare parts to bring"), parts.box,
    el("button", { type: "button", class: "btn btn-secondary", onclick: parts.add }, "Add a part"),
    el("div", { class: "form-field" }, el("label", { for: "dispatch-note" }, "Note for the engineer"), note),
    message, el("div", { class: "move-buttons" }, submit));
  form.addEventListener("input", () => { form.dataset.dirty = "1"; });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!chosen) return;
    submit.disabled = true;
    try {
      const answer = await apiPost(`/tickets/${ticket.id}/dispatch`, {
        engineer: chosen,
        tools: tools.value.split(",").map((t) => t.trim()).filter(Boolean),
        parts: parts.values(),
        reserve: suggestions ? suggestions.picked() : [],
        note: note.value.trim(),
      }, { idempotencyKey: key });
      delete form.dataset.dirty;
      const reserved = answer.reserved.length ? ` with ${answer.reserved.map((r) => `${r.quantity} × ${r.part_number}`).join(", ")} reserved` : "";
      ctx.toast(`Dispatched to ${answer.order.assignment.engineer_name}${reserved}`);
      reload(answer.ticket);
    } catch (err) {
      submit.disabled = false;
      if (!(err instanceof ApiError)) { ctx.failed(err); return; }
      message.replaceChildren(el("div", { class: "refusal", role: "alert" }, el("strong", {}, "Not dispatched. "), err.message));
    }
  });
  return form;
}

// What the engineer was sent: who, when, accepted or not, what to bring, documents, history.
export function orderView(order, zone, { forEngineer = false } = {}) {
  const a = order.assignment;
  return el("div", { class: "order" },
    forEngineer ? null : el("p", {}, el("strong", {}, a.engineer_name), ` · dispatched ${fmtSiteTime(a.dispatched_at, zone)} by ${a.dispatched_by_name} · `,
      a.accepted_at ? el("span", { class: "approved" }, `✓ accepted ${fmtSiteTime(a.accepted_at, zone)}`) : el("span", { class: "awaiting-text" }, "not accepted yet")),
    a.tools.length ? el("p", {}, el("strong", {}, "Tools: "), a.tools.join(", ")) : null,
    a.parts.length ? el("div", {}, el("strong", {}, "Spare parts to bring:"),
      el("ul", { class: "plain-list" }, a.parts.map((p) => el("li", {}, `${p.quantity} × ${p.part_number}${p.description ? ` (${p.description})` : ""}`)))) : null,
    a.note ? el("p", { class: "prewrap" }, el("strong", {}, "Note: "), a.note) : null,
    order.documents.length ? el("div", {}, el("strong", {}, "Documents:"),
      el("ul", { class: "plain-list" }, order.documents.map((d) => el("li", {}, el("a", { href: d.url, rel: "noopener" }, d.title), el("span", { class: "muted small" }, ` · ${d.kind.replaceAll("_", " ")}`))))) : null,
    order.service_history.length ? el("div", {}, el("strong", {}, "Service history of this machine:"),
      el("ul", { class: "plain-list" }, order.service_history.map((t) => el("li", {},
        el("a", { href: `/tickets/${t.id}` }, t.number), ` · ${fmtSiteTime(t.received_at, zone).slice(0, 10)} · ${label(STATUS_LABELS, t.status)} · ${t.summary}`)))) : el("p", { class: "muted small" }, "No earlier tickets on this machine."));
}

export async function dispatchPanel(ticket, ctx, reload) {
  if (!DISPATCHERS.has(ctx.me.role) && ctx.me.role !== "field_engineer") return null;
  const zone = ctx.zoneOfLine(ticket.line_id);
  const order = await apiGet(`/tickets/${ticket.id}/dispatch`).catch((err) => {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  });
  const mayDispatch = DISPATCHERS.has(ctx.me.role) && ticket.allowed_next.includes("dispatched");
  if (!order && !mayDispatch) return null;
  const candidates = mayDispatch ? await apiGet(`/tickets/${ticket.id}/dispatch-candidates`) : null;
  // Once dispatched, the suggestions stay in view with what the ticket holds reserved.
  const found = !mayDispatch ? await loadSuggestions(ticket.id).catch(() => null) : null;
  return el("section", { class: "card", "aria-labelledby": `dispatch-${ticket.id}` },
    el("h2", { class: "card-title", id: `dispatch-${ticket.id}` }, mayDispatch ? "Dispatch a field engineer" : "Dispatch"),
    order ? orderView(order, zone) : null,
    found ? el("details", { class: "suggested-parts" }, el("summary", {}, "Suggested parts and what is held for this ticket"), suggestionsView(found).node) : null,
    mayDispatch ? dispatchForm(ticket, ctx, reload, candidates) : null);
}
