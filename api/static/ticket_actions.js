// What may be done to a ticket now: its allowed next steps as buttons (with a note for
// the audit trail), and the technical lead's approval of a change to the line.
// A move the server refuses (409) is shown with its reason and the steps open instead.

import { ApiError, apiPost } from "./api_client.js";
import { el } from "./dom.js";
import { humanize, isSideMove, label, moveLabel, moveNeedsReason, STATUS_LABELS } from "./ticket_texts.js";

// Whose move it is when the user has none.
const WAITING_ON_OTHERS = {
  repaired: "Repaired: the desk now verifies the repair with the customer.",
  resolved_remotely: "Resolved: the desk now verifies it with the customer.",
  verified: "Waiting for the customer's sign-off.",
};

// A refused move is a problem (RFC 9457) with the ticket's `current_status` and the moves
// still open, `allowed_next`.
function refusalBox(error) {
  const body = error.body || {};
  const allowed = Array.isArray(body.allowed_next) ? body.allowed_next : [];
  return el("div", { class: "refusal", role: "alert" },
    el("strong", {}, error.status === 409 ? "Not done. " : `Not done (${error.status}). `), humanize(error.message),
    body.current_status ? el("div", { class: "small" }, `The ticket is now: ${label(STATUS_LABELS, body.current_status)}.`) : null,
    allowed.length ? el("div", { class: "small" }, `Open to you now: ${allowed.map((s) => label(STATUS_LABELS, s)).join(", ")}.`) : null);
}

// `onMoved(ticket)` receives the ticket as the server answered it; `elsewhere`: moves made
// on a panel of their own (dispatch, with the engineer and what to bring).
// `compact` (a phone): the side paths fold away under "Other steps".
export function nextStepsPanel(ticket, ctx, onMoved, { elsewhere = [], compact = false } = {}) {
  const moves = ticket.allowed_next.filter((s) => !elsewhere.includes(s));
  const noteId = `move-note-${ticket.id}`;
  const note = el("textarea", {
    id: noteId, rows: 3, maxlength: 4000,
    placeholder: "What was done or agreed, for the audit trail",
    oninput: () => { note.dataset.dirty = note.value ? "1" : ""; if (!note.value) delete note.dataset.dirty; },
  });
  const message = el("div", { class: "move-message", "aria-live": "assertive" });
  const buttons = el("div", { class: "move-buttons" });

  async function move(target, button) {
    const text = note.value.trim();
    if (moveNeedsReason(ticket.status, target) && !text) {
      message.replaceChildren(el("div", { class: "refusal", role: "alert" },
        `“${moveLabel(ticket.status, target)}” needs a reason: write it in the note first.`));
      note.focus();
      return;
    }
    for (const b of buttons.querySelectorAll("button")) b.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      const moved = await apiPost(`/tickets/${ticket.id}/transitions`, {
        to: target, note: text, expected_status: ticket.status,
      });
      delete note.dataset.dirty;
      ctx.toast(`${moved.number}: ${label(STATUS_LABELS, ticket.status)} → ${label(STATUS_LABELS, moved.status)}`);
      onMoved(moved);
    } catch (err) {
      if (!(err instanceof ApiError)) { ctx.failed(err); return; }
      message.replaceChildren(refusalBox(err));
      for (const b of buttons.querySelectorAll("button")) b.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }

  if (!moves.length) {
    return el("section", { class: "card", "aria-labelledby": `steps-${ticket.id}` },
      el("h2", { class: "card-title", id: `steps-${ticket.id}` }, "Next steps"),
      el("p", { class: "muted" }, ticket.status === "archived"
        ? "Archived: nothing more to do."
        : ticket.allowed_next.length ? "Dispatch the ticket in the panel beside."
          : WAITING_ON_OTHERS[ticket.status] || "Nothing for your role to do on this ticket now."));
  }
  const main = moves.filter((s) => !isSideMove(ticket.status, s));
  const side = moves.filter((s) => isSideMove(ticket.status, s));
  const button = (target, cls) => {
    const needs = moveNeedsReason(ticket.status, target);
    const b = el("button", {
      type: "button", class: `btn ${cls}`,
      title: `${label(STATUS_LABELS, ticket.status)} → ${label(STATUS_LABELS, target)}${needs ? " (needs a reason in the note)" : ""}`,
      onclick: () => move(target, b),
    }, moveLabel(ticket.status, target), needs ? el("span", { class: "needs-note", "aria-hidden": "true" }, " ✎") : null);
    return b;
  };
  const sideButtons = side.map((s) => button(s, "btn-secondary"));
  buttons.replaceChildren(
    ...main.map((s) => button(s, "btn-primary btn-inline")),
    ...(compact && main.length ? [] : sideButtons));
  const folded = compact && main.length && side.length
    ? el("details", { class: "other-steps" }, el("summary", {}, "Other steps"), el("div", { class: "move-buttons" }, sideButtons))
    : null;
  return el("section", { class: "card", "aria-labelledby": `steps-${ticket.id}` },
    el("h2", { class: "card-title", id: `steps-${ticket.id}` }, "Next steps"),
    el("label", { for: noteId, class: "field-label" }, "Note ", el("span", { class: "muted small" }, "(✎: a reason is required)")),
    note, buttons, folded, message);
}

// Flag a change to the line's structure or key parameters, and approve it (support, admin).
export function changeApprovalPanel(ticket, ctx, onChanged) {
  // A closed ticket changes nothing any more: its approval is history, shown read-only.
  const open = ticket.status !== "archived";
  const mayApprove = open && ["support", "admin"].includes(ctx.me.role);
  const mayFlag = open && ["desk", "support", "admin"].includes(ctx.me.role);
  const message = el("div", { "aria-live": "assertive" });
  const note = el("input", { type: "text", id: `change-note-${ticket.id}`, maxlength: 4000, placeholder: "What changes, and why" });
  note.addEventListener("input", () => { if (note.value) note.dataset.dirty = "1"; else delete note.dataset.dirty; });

  async function send(body, doneText) {
    try {
      const changed = await apiPost(`/tickets/${ticket.id}/change-approval`, { ...body, note: note.value.trim() });
      ctx.toast(doneText);
      onChanged(changed);
    } catch (err) {
      if (!(err instanceof ApiError)) { ctx.failed(err); return; }
      message.replaceChildren(refusalBox(err));
    }
  }

  let state;
  if (!ticket.needs_change_approval) state = el("p", { class: "muted" }, "No change to the line's structure or key parameters is flagged.");
  else if (ticket.change_approved_by) state = el("p", { class: "approved" }, "✓ Change approved by ", el("strong", {}, ticket.change_approved_by_name || ticket.change_approved_by), ".");
  else state = el("p", { class: "awaiting" }, "⚠ Changes the line's structure or key parameters: awaiting the technical lead's approval. Dispatch and resolution wait for it.");

  const actions = [];
  if (mayApprove && ticket.needs_change_approval && !ticket.change_approved_by) {
    actions.push(el("button", { type: "button", class: "btn btn-primary btn-inline", onclick: () => send({ approve: true }, "Change approved") }, "Approve change"));
  }
  if (mayFlag && !ticket.needs_change_approval) {
    actions.push(el("button", { type: "button", class: "btn btn-secondary", onclick: () => send({ needed: true }, "Flagged as a change to the line") }, "Flag as a change to the line"));
  }
  if (mayFlag && ticket.needs_change_approval) {
    actions.push(el("button", { type: "button", class: "btn btn-secondary", onclick: () => send({ needed: false }, "Change flag removed") }, "Remove the flag"));
  }
  return el("section", { class: "card", "aria-labelledby": `change-${ticket.id}` },
    el("h2", { class: "card-title", id: `change-${ticket.id}` }, "Change approval"),
    state,
    actions.length ? el("div", {}, el("label", { for: note.id, class: "field-label" }, "Note"), note, el("div", { class: "move-buttons" }, actions)) : null,
    message);
}
