// Finding the ticket an address names: its id ("/tickets/12") or its number
// ("/tickets/LC-2026-000012"), and the page for one that does not exist or is not yours.

import { apiGet } from "./api_client.js";
import { el } from "./dom.js";

// "12" or "LC-2026-000012" to the ticket's id; null when there is no such ticket here.
export async function resolveTicketId(param) {
  if (/^\d+$/.test(param)) return Number(param);
  const tickets = await apiGet("/tickets", { limit: 500 });
  const found = tickets.find((t) => t.number.toLowerCase() === param.toLowerCase());
  return found ? found.id : null;
}

export function notFound(root, param) {
  root.replaceChildren(el("div", { class: "card narrow" },
    el("h1", {}, "No such ticket"),
    el("p", {}, `There is no ticket “${param}” that you may see.`),
    el("a", { href: "/tickets" }, "Back to the tickets")));
}
