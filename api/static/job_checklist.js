// The maintenance checklist of a planned-maintenance job (GET /api/tickets/{id}/checklist):
// on the engineer's phone each item answered with one of three big buttons (OK, Not OK,
// N/A), a finding or a reason typed where it is needed; read-only on the ticket page and
// beside the service report. Each answer is saved at once (PUT the item's answer_url), so
// a lost connection costs one tap, not the whole list.

import { ApiError, apiPut } from "./api_client.js";
import { el } from "./dom.js";
import { fmtSiteTime } from "./plant_time.js";

const OUTCOMES = [
  ["ok", "OK", "✓"],
  ["not_ok", "Not OK", "✖"],
  ["not_applicable", "N/A", "–"],
];
const OUTCOME_TEXT = { ok: "OK", not_ok: "Not OK", not_applicable: "Not applicable" };
// What the note must say for each answer that needs one.
const NOTE_ASKS = {
  not_ok: "What did you find? (required)",
  not_applicable: "Why does it not apply here? (required)",
  ok: "Note (optional), e.g. a reading",
};

// "3 h · stops the line · mechanical, hygiene · bring 1 × FIL12-LEVEL-PROBE"
function taskFacts(task) {
  const facts = [];
  if (task.duration_hours) facts.push(`${task.duration_hours} h`);
  facts.push(task.stops_line ? "stops the line" : "line keeps running");
  if (task.skills.length) facts.push(`skills: ${task.skills.join(", ")}`);
  if (task.parts.length) facts.push(`parts: ${task.parts.map((p) => `${p.quantity} × ${p.part_number}`).join(", ")}`);
  return facts.join(" · ");
}

function answeredLine(answer, zone) {
  return el("div", { class: `checklist-answer outcome-${answer.outcome}` },
    el("strong", {}, OUTCOME_TEXT[answer.outcome]),
    answer.note ? ` — ${answer.note}` : "",
    el("span", { class: "muted small" }, ` · ${answer.answered_by}, ${fmtSiteTime(answer.answered_at, zone)}`));
}

function progressText(checklist) {
  if (!checklist.items) return "";
  const done = checklist.items - checklist.unanswered;
  const findings = checklist.findings ? ` · ${checklist.findings} not OK` : "";
  return `${done} of ${checklist.items} answered${findings}`;
}

// Read-only: the ticket page and the service report. Null when no plan opened the ticket.
export function checklistView(checklist, zone) {
  if (!checklist || !checklist.tasks.length) return null;
  return el("div", { class: "checklist" },
    el("p", { class: checklist.unanswered ? "awaiting-text" : "muted small" },
      checklist.unanswered ? `${progressText(checklist)}: the report waits for the rest.` : progressText(checklist)),
    checklist.tasks.map((task) => el("div", { class: "checklist-task" },
      el("h3", {}, task.title, task.occurrence_status === "skipped" ? el("span", { class: "muted small" }, " (skipped by the planner)") : null),
      el("p", { class: "muted small" }, taskFacts(task)),
      el("ol", { class: "checklist-items" }, task.items.map((item) => el("li", {},
        el("div", { class: "checklist-text" }, item.text),
        item.answer ? answeredLine(item.answer, zone) : el("div", { class: "muted small" }, "not answered yet")))))));
}

// One item on the phone: the three answers as big buttons, the note field when needed.
function itemEditor(ticketId, task, item, ctx, zone, onSaved) {
  const li = el("li", { class: "checklist-item" });
  const noteId = `note-${task.occurrence_id}-${item.position}`;
  let chosen = item.answer ? item.answer.outcome : null;
  const note = el("textarea", { id: noteId, rows: 2, maxlength: 2000 });
  note.value = item.answer ? item.answer.note : "";
  const noteLabel = el("label", { for: noteId, class: "checklist-note-label" });
  const message = el("div", { "aria-live": "polite" });
  const save = el("button", { type: "button", class: "btn btn-primary btn-big" }, "Save");
  const noteBox = el("div", { class: "checklist-note", hidden: true }, noteLabel, note, save);
  const status = el("div", {}, item.answer ? answeredLine(item.answer, zone) : null);
  const buttons = OUTCOMES.map(([outcome, label, mark]) => el("button", {
    type: "button",
    class: `btn checklist-choice choice-${outcome}`,
    "aria-pressed": String(chosen === outcome),
    "aria-label": `${label}: ${item.text}`,
    onclick: () => choose(outcome),
  }, `${mark} ${label}`));

  async function send(outcome) {
    const text = note.value.trim();
    if (outcome !== "ok" && !text) {
      message.replaceChildren(el("div", { class: "refusal", role: "alert" }, NOTE_ASKS[outcome]));
      note.focus();
      return;
    }
    buttons.forEach((b) => { b.disabled = true; });
    save.disabled = true;
    try {
      const path = `/tickets/${ticketId}/checklist/${task.occurrence_id}/${item.position}`;
      const saved = await apiPut(path, { item: item.text, outcome, note: text });
      item.answer = saved.item.answer;
      noteBox.hidden = true;
      delete li.dataset.dirty;
      message.replaceChildren();
      status.replaceChildren(answeredLine(item.answer, zone));
      addNote.textContent = item.answer.note ? "Edit the note" : "Add a note";
      addNote.hidden = false;
      onSaved();
    } catch (err) {
      if (!(err instanceof ApiError)) { ctx.failed(err); return; }
      message.replaceChildren(el("div", { class: "refusal", role: "alert" }, el("strong", {}, "Not saved. "), err.message));
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      save.disabled = false;
    }
  }

  // OK saves at once (its note stays optional); Not OK and N/A first ask for the note.
  function choose(outcome) {
    chosen = outcome;
    buttons.forEach((b, i) => b.setAttribute("aria-pressed", String(OUTCOMES[i][0] === outcome)));
    noteLabel.textContent = NOTE_ASKS[outcome];
    if (outcome === "ok") { send("ok"); return; }
    li.dataset.dirty = "1";
    noteBox.hidden = false;
    note.focus();
  }
  save.addEventListener("click", () => send(chosen));
  const addNote = el("button", { type: "button", class: "btn btn-plain checklist-add-note", onclick: () => {
    chosen = chosen || "ok";
    noteLabel.textContent = NOTE_ASKS[chosen];
    li.dataset.dirty = "1";
    noteBox.hidden = false;
    note.focus();
  } }, item.answer && item.answer.note ? "Edit the note" : "Add a note");

  li.append(
    el("div", { class: "checklist-text" }, el("span", { class: "checklist-no" }, `${item.position}.`), " ", item.text),
    el("div", { class: "checklist-choices", role: "group", "aria-label": `Answer: ${item.text}` }, buttons),
    status, noteBox, message, addNote);
  addNote.hidden = !item.answer;
  return li;
}

// The engineer's checklist on their job: editable while the work may be recorded.
export function checklistEditor(checklist, ctx, zone) {
  if (!checklist || !checklist.tasks.length) return null;
  if (!checklist.may_answer) {
    return el("section", { class: "job-checklist" },
      el("h3", {}, "Maintenance checklist"),
      el("p", { class: "muted small" }, `Answer it on site: ${checklist.may_answer_because}.`),
      checklistView(checklist, zone));
  }
  const progress = el("p", { class: "checklist-progress", "aria-live": "polite" });
  const refreshProgress = () => {
    const items = checklist.tasks.filter((t) => t.occurrence_status !== "skipped").flatMap((t) => t.items);
    const open = items.filter((i) => !i.answer).length;
    const findings = items.filter((i) => i.answer && i.answer.outcome === "not_ok").length;
    Object.assign(checklist, { unanswered: open, findings });
    progress.textContent = open ? `${progressText(checklist)} · the report waits for all` : `All ${items.length} answered${findings ? ` · ${findings} not OK` : ""}: the report can be filed.`;
    progress.classList.toggle("done", !open);
  };
  refreshProgress();
  return el("section", { class: "job-checklist", "aria-label": "Maintenance checklist" },
    el("h3", {}, "Maintenance checklist"), progress,
    checklist.tasks.map((task) => el("div", { class: "checklist-task" },
      el("h4", {}, task.title),
      el("p", { class: "muted small" }, taskFacts(task)),
      el("ol", { class: "checklist-items" }, task.items.map((item) => itemEditor(checklist.ticket_id, task, item, ctx, zone, refreshProgress))))));
}
