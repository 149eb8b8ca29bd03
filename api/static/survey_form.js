// The satisfaction survey on DOMAIN.md's five points, 1 (poor) to 5 (excellent), as the
// customer answers it in the portal or the desk records it from the callback.

import { ApiError, apiPost, newIdempotencyKey } from "./api_client.js";
import { el } from "./dom.js";

export const SURVEY_POINTS = [
  ["attitude", "Attitude of our staff"],
  ["response_speed", "Speed of our response"],
  ["technical_skill", "Technical skill"],
  ["effectiveness", "Did it solve the problem?"],
  ["overall", "Overall"],
];
const SCALE = { 1: "poor", 2: "fair", 3: "good", 4: "very good", 5: "excellent" };

function rating(key, text) {
  return el("fieldset", { class: "rating" },
    el("legend", {}, text),
    [1, 2, 3, 4, 5].map((n) => el("label", { title: SCALE[n] },
      el("input", { type: "radio", name: `survey-${key}`, value: n, required: true, "aria-label": `${n}: ${SCALE[n]}` }),
      el("span", {}, String(n)))),
    el("span", { class: "muted small" }, "1 poor · 5 excellent"));
}

export function surveyAnswers(survey) {
  return el("dl", { class: "record" }, SURVEY_POINTS.flatMap(([key, text]) => [
    el("dt", {}, text), el("dd", {}, `${survey[key]} of 5 (${SCALE[survey[key]]})`)]),
  el("dt", {}, "Average"), el("dd", {}, `${survey.average.toFixed(1)} of 5`),
  survey.comments ? [el("dt", {}, "Comments"), el("dd", {}, survey.comments)] : []);
}

// `onDone()` after the answers are recorded.
export function surveyForm(ticket, ctx, onDone, { submitText = "Send" } = {}) {
  const key = newIdempotencyKey();
  const comments = el("textarea", { id: "survey-comments", rows: 3, maxlength: 4000 });
  const message = el("div", { "aria-live": "assertive" });
  const submit = el("button", { type: "submit", class: "btn btn-primary btn-inline" }, submitText);
  const form = el("form", { class: "survey-grid" },
    SURVEY_POINTS.map(([k, text]) => rating(k, text)),
    el("label", { for: "survey-comments", class: "field-label" }, "Anything else you want to tell us?"), comments,
    message, el("div", { class: "move-buttons" }, submit));
  form.addEventListener("input", () => { form.dataset.dirty = "1"; });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { comments: comments.value.trim() };
    for (const [k, text] of SURVEY_POINTS) {
      const chosen = form.querySelector(`input[name="survey-${k}"]:checked`);
      if (!chosen) {
        message.replaceChildren(el("div", { class: "refusal", role: "alert" }, `Please rate “${text}”.`));
        return;
      }
      body[k] = Number(chosen.value);
    }
    submit.disabled = true;
    try {
      await apiPost(`/tickets/${ticket.id}/survey`, body, { idempotencyKey: key });
      delete form.dataset.dirty;
      ctx.toast("Thank you for your answers");
      onDone();
    } catch (err) {
      submit.disabled = false;
      if (!(err instanceof ApiError)) { ctx.failed(err); return; }
      message.replaceChildren(el("div", { class: "refusal", role: "alert" }, err.message));
    }
  });
  return form;
}
