// The links between the console's pages, as fit the signed-in role.

import { el } from "./dom.js";

const STAFF = new Set(["desk", "support", "admin"]);

// Short labels: the whole row fits beside the brand and the user at 1400 px.
export function pageLinks(me) {
  // A field engineer's "/" is their jobs (console.js sends them on): no Monitoring link.
  const links = me.role === "field_engineer" ? [] : [["/", me.role === "customer" ? "My lines" : "Monitoring"]];
  if (STAFF.has(me.role)) links.push(["/fleet", "Fleet"]);
  if (STAFF.has(me.role)) links.push(["/diagnosis", "Diagnosis"]);
  if (STAFF.has(me.role)) links.push(["/tickets", "Tickets"]);
  if (me.role === "customer") links.push(["/tickets", "My tickets"]);
  // Jobs are dispatched to field engineers only (the API refuses everyone else's My jobs).
  if (me.role === "field_engineer") links.push(["/my-jobs", "My jobs"]);
  if (STAFF.has(me.role) || me.role === "customer") links.push(["/kpis", "KPIs"]);
  if (me.role === "customer") links.push(["/report", "OEE report"]);
  if (me.role === "parts_manager" || STAFF.has(me.role)) links.push(["/parts", "Parts"]);
  if (me.role !== "parts_manager") links.push(["/maintenance", "Maintenance"]);
  if (me.role !== "parts_manager") links.push(["/knowledge", "Knowledge"]);
  return links;
}

export function renderNav(box, me) {
  const here = window.location.pathname;
  box.replaceChildren(...pageLinks(me).map(([href, text]) => {
    const current = href === here || (href === "/tickets" && here.startsWith("/tickets"));
    return el("a", { href, class: current ? "current" : "", "aria-current": current ? "page" : null }, text);
  }));
  box.hidden = false;
}

// Where to go after signing in: a page of this console named in ?next=, never another site.
export function nextPage() {
  const next = new URLSearchParams(window.location.search).get("next");
  return next && /^\/(?!\/)[\w\-/?=&.%]*$/.test(next) ? next : null;
}
