// One ticket's page for the service staff and field engineers, at /tickets/{id} (or its
// number, /tickets/LC-2026-000012): the record, the clocks, the next steps, the timeline
// and the panels of the work done on it.

import { ApiError, apiGet } from "./api_client.js";
import { el, openSections, reopenSections, userIsEditing } from "./dom.js";
import { notFound, resolveTicketId } from "./ticket_lookup.js";
import { fmtSiteTime, zoneAbbreviation } from "./plant_time.js";
import { clockPanel } from "./sla_view.js";
import { changeApprovalPanel, nextStepsPanel } from "./ticket_actions.js";
import { severityPill, statusPill } from "./ticket_badges.js";
import { registrationPanel, requestPanel } from "./ticket_record.js";
import { label, TYPE_LABELS } from "./ticket_texts.js";
import { timelinePanel } from "./ticket_timeline.js";
import { mountIntakeForm } from "./ticket_intake_form.js";
import { ticketOwners } from "./ticket_assignment.js";
import { workPanels } from "./ticket_work_panels.js";

function copyLinkButton(ticket, ctx) {
  const url = `${window.location.origin}/tickets/${ticket.id}`;
  return el("button", {
    type: "button", class: "btn btn-secondary", title: url,
    onclick: async () => {
      try { await navigator.clipboard.writeText(url); ctx.toast("Link copied"); } catch { ctx.toast(url); }
    },
  }, "Copy link");
}

function header(ticket, ctx) {
  const found = ctx.machineById(ticket.machine_id);
  const zone = ctx.zoneOfLine(ticket.line_id);
  return el("div", { class: "ticket-head" },
    el("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, el("a", { href: ctx.me.role === "field_engineer" ? "/my-jobs" : "/tickets" },
      ctx.me.role === "field_engineer" ? "← My jobs" : "← Ticket queue")),
    el("div", { class: "ticket-title" },
      el("h1", {}, ticket.number),
      severityPill(ticket.severity), statusPill(ticket.status),
      ticket.escalated_at ? el("span", { class: "status-pill stage-alarm" }, "Escalated") : null,
      el("span", { class: "spacer" }), copyLinkButton(ticket, ctx)),
    el("p", { class: "ticket-summary" }, ticket.summary),
    el("p", { class: "muted small" },
      `${label(TYPE_LABELS, ticket.ticket_type)} · ${ctx.customerName(ticket.customer_id)} · `
      + `${found ? `${found.line.name} · ${found.machine.name}` : ticket.machine_id} · received ${fmtSiteTime(ticket.received_at, zone)}`
      + ` · times in the site's zone (${zoneAbbreviation(zone, ticket.received_at)}, ${zone})`));
}

export async function mountTicketPage(root, ctx, param) {
  if (param === "new") return mountIntakeForm(root, ctx);
  const id = await resolveTicketId(param).catch(() => null);
  if (id === null) { notFound(root, param); return { refresh: async () => {} }; }
  let ticket = null;

  async function render() {
    const zone = ctx.zoneOfLine(ticket.line_id);
    const reload = (moved) => { if (moved) ticket = moved; load(true).catch(ctx.failed); };
    const [work, owners] = await Promise.all([
      workPanels(ticket, ctx, reload), ctx.staff ? ticketOwners().catch(() => new Map()) : new Map(),
    ]);
    document.title = `${ticket.number} · LineCare`;
    const open = openSections(root);
    root.replaceChildren(
      header(ticket, ctx),
      el("div", { class: "ticket-grid" },
        el("div", { class: "ticket-main" }, requestPanel(ticket), ...work, timelinePanel(ticket, zone)),
        el("div", { class: "ticket-side" },
          el("section", { class: "card", "aria-labelledby": "clocks-title" },
            el("h2", { class: "card-title", id: "clocks-title" }, "Service-level clocks"),
            clockPanel(ticket.sla, zone)),
          nextStepsPanel(ticket, ctx, reload, { elsewhere: ctx.staff ? ["dispatched"] : [] }),
          changeApprovalPanel(ticket, ctx, reload),
          registrationPanel(ticket, ctx, ctx.staff ? owners.get(ticket.id)?.owner_name || "unassigned" : null))));
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
