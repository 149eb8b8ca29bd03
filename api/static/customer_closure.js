// What the customer does at the end of a ticket: sign off the work, or refuse with a
// reason (which reopens the ticket).

import { ApiError, apiPost } from "./api_client.js";
import { el } from "./dom.js";

function signOffPanel(ticket, ctx, reload) {
  const reason = el("textarea", { id: "refuse-reason", rows: 3, maxlength: 4000, placeholder: "What is still wrong?" });
  reason.addEventListener("input", () => { if (reason.value) reason.dataset.dirty = "1"; else delete reason.dataset.dirty; });
  const message = el("div", { "aria-live": "assertive" });
  async function move(to, note, done) {
    try {
      await apiPost(`/tickets/${ticket.id}/transitions`, { to, note, expected_status: ticket.status });
      delete reason.dataset.dirty;
      ctx.toast(done);
      reload();
    } catch (err) {
      if (!(err instanceof ApiError)) { ctx.failed(err); return; }
      message.replaceChildren(el("div", { class: "refusal", role: "alert" }, err.message));
    }
  }
  return el("section", { class: "card sign-off", "aria-labelledby": "sign-off-title" },
    el("h2", { class: "card-title", id: "sign-off-title" }, "Is the problem solved?"),
    el("p", {}, "Please confirm that the machine works as it should. If it does not, tell us what is still wrong and we reopen your request at once."),
    el("div", { class: "move-buttons" },
      el("button", { type: "button", class: "btn btn-primary btn-inline", onclick: () => move("signed_off", "Signed off in the portal", "Thank you: signed off") }, "Yes, sign off")),
    el("label", { for: "refuse-reason", class: "field-label" }, "No, something is still wrong:"),
    reason,
    el("div", { class: "move-buttons" },
      el("button", { type: "button", class: "btn btn-secondary", onclick: () => {
        const text = reason.value.trim();
        if (!text) { message.replaceChildren(el("div", { class: "refusal", role: "alert" }, "Please tell us what is still wrong.")); reason.focus(); return; }
        move("reopened", text, "We have reopened your request");
      } }, "Refuse and reopen")),
    message);
}

export async function customerClosurePanels(ticket, ctx, reload) {
  const panels = [];
  if (ticket.allowed_next.includes("signed_off")) panels.push(signOffPanel(ticket, ctx, reload));
  return panels;
}
