// The field engineer's jobs (GET /api/my-jobs), made for a phone: each job's customer,
// contact, machine and deadline, one big button for the next step (accept, on my way,
// arrived, repaired), what to bring (the parts reserved for the job, by store), the
// maintenance checklist of a planned-maintenance job, and the service report with the
// parts used (pre-filled with the parts to bring).

import { ApiError, apiGet, apiPost } from "./api_client.js";
import { el, userIsEditing } from "./dom.js";
import { fmtSiteTime } from "./plant_time.js";
import { orderView } from "./dispatch_panel.js";
import { checklistEditor } from "./job_checklist.js";
import { serviceReportForm } from "./service_report_form.js";
import { reportView } from "./service_report_view.js";
import { clockBadge } from "./sla_view.js";
import { nextStepsPanel } from "./ticket_actions.js";
import { severityPill, statusPill } from "./ticket_badges.js";
import { humanize } from "./ticket_texts.js";

const REPORT_STATES = new Set(["on_site", "waiting_for_parts", "repaired", "escalated"]);

function acceptButton(job, ctx, reload) {
  const button = el("button", { type: "button", class: "btn btn-primary btn-big" }, "Accept this job");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await apiPost(`/my-jobs/${job.order.ticket_id}/accept`, {});
      ctx.toast(`${job.order.number} accepted`);
      reload();
    } catch (err) {
      button.disabled = false;
      if (!(err instanceof ApiError)) { ctx.failed(err); return; }
      ctx.toast(err.message, "error");
    }
  });
  return button;
}

// The report form or the filed report, opened on demand: it needs the whole ticket.
function reportSection(job, ctx, reload) {
  const box = el("div", { class: "job-report" });
  const open = el("button", { type: "button", class: "btn btn-secondary btn-big" }, "Service report and parts used");
  open.addEventListener("click", async () => {
    open.disabled = true;
    try {
      const [ticket, state] = await Promise.all([
        apiGet(`/tickets/${job.order.ticket_id}`), apiGet(`/tickets/${job.order.ticket_id}/report`),
      ]);
      const zone = job.order.site.timezone;
      const parts = [el("h3", {}, "Service report")];
      const unanswered = job.checklist.unanswered;
      if (unanswered && state.editable) parts.push(el("p", { class: "awaiting-text" }, `Answer the ${unanswered} open checklist item${unanswered === 1 ? "" : "s"} above first: the report is filed once every item is answered.`));
      const form = () => serviceReportForm(ticket, state.report, ctx, () => reload(), { partsToBring: job.parts_to_bring });
      if (state.report) parts.push(reportView(state.report, zone));
      if (state.editable && state.report) {
        const revise = el("button", { type: "button", class: "btn btn-secondary btn-big", onclick: () => revise.replaceWith(form()) }, "Revise the report");
        parts.push(revise);
      } else if (state.editable) {
        parts.push(form());
      } else {
        parts.push(el("p", { class: "muted small" }, humanize(state.not_editable_because || "")));
      }
      box.replaceChildren(...parts);
      open.remove();
    } catch (err) {
      open.disabled = false;
      ctx.failed(err);
    }
  });
  return [open, box];
}

// The parts the dispatch reserved, where to pick them up, and what was issued on the job.
function jobParts(job) {
  const line = (p, n) => el("li", {}, `${n} × ${p.part_number} · ${p.store_name}${p.store_kind === "van" ? " (your van)" : ""}`);
  if (!job.parts_to_bring.length && !job.parts_used.length) return null;
  return el("div", { class: "job-parts" },
    job.parts_to_bring.length ? [el("strong", {}, "Parts to bring (reserved for this job):"),
      el("ul", { class: "plain-list" }, job.parts_to_bring.map((p) => line(p, p.reserved)))] : null,
    job.parts_used.length ? [el("strong", {}, "Parts used:"),
      el("ul", { class: "plain-list" }, job.parts_used.map((p) => line(p, p.issued)))] : null);
}

function jobCard(job, ctx, reload) {
  const order = job.order;
  const zone = order.site.timezone;
  const ticket = { id: order.ticket_id, number: order.number, status: order.status, allowed_next: job.allowed_next };
  const arrival = job.sla.find((c) => c.kind === "arrival");
  const resolution = job.sla.find((c) => c.kind === "resolution");
  return el("article", { class: "card job", "aria-labelledby": `job-${order.ticket_id}` },
    el("div", { class: "job-head" },
      el("h2", { id: `job-${order.ticket_id}` }, el("a", { href: `/tickets/${order.ticket_id}` }, order.number)),
      severityPill(order.severity), statusPill(order.status)),
    el("p", { class: "job-summary" }, order.summary),
    el("div", { class: "job-clocks" },
      arrival && arrival.state !== "not_needed" ? clockBadge(arrival, zone, { withLabel: true }) : null,
      resolution ? clockBadge(resolution, zone, { withLabel: true }) : null),
    el("dl", { class: "record job-facts" },
      el("dt", {}, "Customer"), el("dd", {}, `${order.customer.name} · ${order.site.name}${order.site.region ? ` (${order.site.region_name || order.site.region})` : ""}`),
      el("dt", {}, "Contact"), el("dd", {}, order.contact.name || "—",
        order.contact.phone ? el("a", { class: "btn btn-secondary btn-call", href: `tel:${order.contact.phone}` }, `Call ${order.contact.phone}`) : null),
      el("dt", {}, "Machine"), el("dd", {}, `${order.line.name} · ${order.machine.name}`, el("div", { class: "muted small" }, `${order.machine.model} · S/N ${order.machine.serial}`)),
      el("dt", {}, "On site by"), el("dd", {}, order.arrival_due ? fmtSiteTime(order.arrival_due, zone) : "no deadline"),
      order.special_requirements ? [el("dt", {}, "Special requirements"), el("dd", {}, order.special_requirements)] : []),
    jobParts(job),
    checklistEditor(job.checklist, ctx, zone),
    job.accept_url ? acceptButton(job, ctx, reload) : el("p", { class: "approved small" }, order.assignment.accepted_at ? `✓ Accepted ${fmtSiteTime(order.assignment.accepted_at, zone)}` : ""),
    nextStepsPanel(ticket, ctx, () => reload(), { compact: true }),
    el("details", { class: "job-details" },
      el("summary", {}, "Symptoms, what to bring, documents, history"),
      order.symptoms ? el("div", { class: "symptoms" }, order.symptoms) : null,
      orderView(order, zone, { forEngineer: true })),
    REPORT_STATES.has(order.status) ? reportSection(job, ctx, reload) : null);
}

export async function mountMyJobs(root, ctx) {
  const list = el("div", { class: "jobs" });
  const count = el("p", { class: "muted" });
  root.replaceChildren(el("div", { class: "page-head" }, el("div", {}, el("h1", {}, "My jobs"), count)), list);

  async function load(force) {
    if (!force && userIsEditing(root)) return;
    let jobs;
    try {
      jobs = await apiGet("/my-jobs");
    } catch (err) {
      if (err instanceof ApiError && [403, 404].includes(err.status)) {
        list.replaceChildren(el("p", { class: "card" }, "My jobs are for field engineers. ", el("a", { href: "/tickets" }, ctx.me.role === "customer" ? "See your service requests." : "Go to the ticket queue.")));
        ctx.refreshed();
        return;
      }
      throw err;
    }
    count.textContent = jobs.length ? `${jobs.length} job${jobs.length === 1 ? "" : "s"}, most urgent first · times in each site's zone` : "";
    const reload = () => load(true).catch(ctx.failed);
    list.replaceChildren(...(jobs.length ? jobs.map((job) => jobCard(job, ctx, reload))
      : [el("p", { class: "card empty" }, "No jobs for you right now.")]));
    ctx.refreshed();
  }
  return { refresh: () => load(false) };
}
