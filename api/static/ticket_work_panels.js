// The panels of the work done on a ticket, in the order the work happens: the evidence
// that opened it, the service report, then sign-off, callback, survey and RCA.
// Each is a section, or null when it has nothing to show for this ticket and role.

import { SignedOut } from "./api_client.js";
import { el } from "./dom.js";
import { closurePanels } from "./closure_panels.js";
import { dispatchPanel } from "./dispatch_panel.js";
import { evidencePanel } from "./evidence_panel.js";
import { serviceReportPanel } from "./service_report_view.js";
import { costsPanel } from "./ticket_costs_panel.js";

// One panel that cannot load says so in its place; the rest of the page stands.
async function guarded(title, build) {
  try {
    return await build();
  } catch (err) {
    if (err instanceof SignedOut) throw err;
    return el("section", { class: "card" }, el("h2", { class: "card-title" }, title),
      el("p", { class: "error" }, `Could not load: ${err.message}`));
  }
}

export async function workPanels(ticket, ctx, reload) {
  const panels = await Promise.all([
    guarded("Evidence", () => evidencePanel(ticket, ctx)),
    guarded("Dispatch", () => dispatchPanel(ticket, ctx, reload)),
    guarded("Service report", () => serviceReportPanel(ticket, ctx, reload)),
    guarded("Closure", () => closurePanels(ticket, ctx, reload)),
    guarded("Costs", () => costsPanel(ticket, ctx, reload)),
  ]);
  return panels.flat().filter(Boolean);
}
