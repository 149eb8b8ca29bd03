// Bulk assignment from the queue: the selected tickets given to one owner at once.

import { el } from "./dom.js";

// The bar over the queue while tickets are selected; `done` runs after a change.
export function bulkAssignBar(ctx, ticketIds, done) {
  return [
    el("strong", {}, `${ticketIds.length} selected`),
    el("button", { type: "button", class: "btn btn-plain", onclick: done }, "Clear selection"),
  ];
}
