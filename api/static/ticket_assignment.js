// Owners in the desk's queue: who owns which ticket (GET /api/ticket-owners) and the bulk
// assignment of the selected tickets to one owner (POST /api/tickets/assignments).

import { ApiError, apiGet, apiPost } from "./api_client.js";
import { el } from "./dom.js";

export const MAY_ASSIGN = new Set(["desk", "admin"]);

// Ticket id → its owner ({ owner: login, owner_name }); empty for a role that may not read owners.
export async function ticketOwners() {
  try {
    const owners = await apiGet("/ticket-owners");
    return new Map(owners.map((o) => [o.ticket_id, o]));
  } catch (err) {
    if (err instanceof ApiError && [403, 404].includes(err.status)) return new Map();
    throw err;
  }
}

// People who may own tickets, as far as this page knows them (login → name): the user,
// current owners and the demo's desk and support accounts.
async function knownOwners(ctx, owners) {
  const people = new Map([[ctx.me.login, ctx.me.display_name || ctx.me.login]]);
  for (const o of owners.values()) people.set(o.owner, o.owner_name);
  const demos = await apiGet("/sign-in/demo-tokens").catch(() => []);
  for (const demo of demos) if (["desk", "support", "admin"].includes(demo.role)) people.set(demo.token, demo.display_name || demo.token);
  return [...people].sort(([a], [b]) => a.localeCompare(b));
}

// The bar over the queue while tickets are selected: `selectedIds()` gives them, `done()`
// runs after a change; `update()` shows a new count and keeps the owner typed.
export async function bulkAssignBar(ctx, selectedIds, owners, numberOf, done) {
  const people = await knownOwners(ctx, owners);
  const owner = el("input", { id: "bulk-owner", type: "text", list: "bulk-owner-list", value: ctx.me.login, maxlength: 200, autocomplete: "off" });
  const message = el("span", { class: "bulk-message", "aria-live": "polite" });
  const count = el("strong");
  const assign = el("button", { type: "button", class: "btn btn-primary btn-inline" });
  const update = () => {
    const n = selectedIds().length;
    count.textContent = `${n} selected`;
    assign.textContent = `Assign ${n} ticket${n === 1 ? "" : "s"}`;
    message.replaceChildren();
    assign.disabled = false;
  };
  assign.addEventListener("click", async () => {
    const ticketIds = selectedIds();
    const login = owner.value.trim();
    if (!login) { owner.focus(); return; }
    assign.disabled = true;
    try {
      const answer = await apiPost("/tickets/assignments", { owner: login, ticket_ids: ticketIds });
      const failed = answer.results.filter((r) => !r.ok);
      ctx.toast(`${answer.assigned} ticket${answer.assigned === 1 ? "" : "s"} assigned to ${answer.owner_name}${failed.length ? `, ${failed.length} not` : ""}`, failed.length ? "error" : "ok");
      if (failed.length) {
        message.replaceChildren(el("span", { class: "refusal inline" }, failed.map((r) => `${numberOf(r.ticket_id)}: ${r.error}`).join(" · ")));
        assign.disabled = false;
        return;
      }
      done();
    } catch (err) {
      assign.disabled = false;
      if (!(err instanceof ApiError)) { ctx.failed(err); return; }
      message.replaceChildren(el("span", { class: "refusal inline", role: "alert" }, err.message));
    }
  });
  update();
  const nodes = [
    count,
    el("label", { for: "bulk-owner" }, "Owner"), owner,
    el("datalist", { id: "bulk-owner-list" }, people.map(([login, name]) => el("option", { value: login, label: name }))),
    assign,
    el("button", { type: "button", class: "btn btn-plain", onclick: () => done(true) }, "Clear selection"),
    message,
  ];
  return { nodes, update };
}
