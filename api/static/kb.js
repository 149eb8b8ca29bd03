// LineCare knowledge base page: search the fault-code manual and the symptom articles,
// read an entry with who wrote and published it, edit it in versions and move it through
// review. ?entry=ID opens an entry; ?ticket=ID or ?machine=ID&signals=a,b&fault_code=N
// list the entries that fault links to (the remote-diagnosis page links here).
// Vanilla JS, no build step; strings from the API enter the page as text.
import { $, el, fill } from "./dom.js";
import { fmtSiteTime } from "./plant_time.js";
import { signalLabel } from "./signal_labels.js";
import {
  apiGet, apiPost, apiPut, ApiError, goToSignIn, newIdempotencyKey, SignedOut,
  takeTokenFromLink,
} from "./api_client.js";
import { showSignedIn } from "./top_bar.js";

const WRITERS = new Set(["support", "admin"]);
const SIGNALS = ["vibration_rms", "bearing_temp", "motor_current", "speed"];
const STATUS_TEXT = { draft: "Draft", in_review: "In review", published: "Published", retired: "Retired" };
const KIND_TEXT = { fault_code: "Fault-code manual", symptom: "Symptom article" };
// The moves support may make from each status, in the order they are offered.
const MOVES = {
  draft: [["in_review", "Submit for review", "kb-btn"], ["retired", "Retire", "kb-btn-quiet"]],
  in_review: [["published", "Publish", "kb-btn"], ["draft", "Send back to draft", "kb-btn-outline"], ["retired", "Retire", "kb-btn-quiet"]],
  published: [["retired", "Retire", "kb-btn-quiet"]],
  retired: [["draft", "Reopen as draft", "kb-btn-outline"]],
};
const SECTIONS = [
  ["symptoms", "Symptoms"],
  ["causes", "Likely causes"],
  ["checks", "Checks"],
  ["remedies", "Remedies"],
  ["body", "Notes"],
];

const view = {
  me: null,
  writer: false,
  staff: false,
  entry: null, // the open entry's detail as the API sent it
  editing: false,
  request: 0,
  // Entries belong to no one site: times read in the zone of the user's (first) site, as
  // the ticket pages do; the browser's zone until the lines arrive.
  zone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
};

// ---------- small pieces ----------

function when(iso) { return fmtSiteTime(iso, view.zone); }

function statusPill(status) {
  return el("span", { class: `status-pill kb-st-${status}` }, STATUS_TEXT[status] || status);
}

// Staff see both: the version readers have, and the newer one on its way through review.
function statusPills(entry) {
  const pending = entry.published_version && entry.pending_review && entry.status !== "retired";
  if (!view.staff || !pending) return [statusPill(entry.status)];
  return [
    el("span", { class: "status-pill kb-st-published" }, `Published v${entry.published_version}`),
    el("span", { class: `status-pill kb-st-${entry.status}` }, `${STATUS_TEXT[entry.status]} v${entry.current_version}`),
  ];
}

function audiencePill(audience) {
  return audience === "customers"
    ? el("span", { class: "status-pill kb-aud-customers", title: "Customers owning these machine models read the published version" }, "Customers can read")
    : el("span", { class: "status-pill kb-aud-internal", title: "Staff only" }, "Internal");
}

function chips(entry) {
  return [
    ...entry.machine_models.map((m) => el("span", { class: "chip kb-chip-model" }, m)),
    ...entry.fault_codes.map((c) => el("span", { class: "chip kb-chip-code" }, `Fault ${c}`)),
    ...entry.signals.map((s) => el("span", { class: "chip kb-chip-signal" }, signalLabel(s))),
  ];
}

function snippet(parts) {
  if (!parts || !parts.length) return null;
  return el("p", { class: "kb-snippet" }, parts.map((p) => (p.match ? el("mark", {}, p.text) : p.text)));
}

function showError(box, err) {
  if (err instanceof SignedOut) { goToSignIn(); return; }
  fill(box, el("p", { class: "error kb-error", role: "alert" }, err.message || String(err)));
}

// ---------- address ----------

function params() { return new URLSearchParams(window.location.search); }

function setAddress(changes, replace) {
  const next = params();
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === undefined || value === "") next.delete(key);
    else next.set(key, value);
  }
  const url = `${window.location.pathname}${next.toString() ? `?${next}` : ""}`;
  if (replace) history.replaceState(null, "", url); else history.pushState(null, "", url);
}

// ---------- search and results ----------

// "To review": drafts (proposals from repairs among them) and entries in review. The API
// takes repeated status parameters; the shared client sets one value per name.
const TO_REVIEW = "to_review";

function searchKnowledge({ status, ...rest }) {
  if (status !== TO_REVIEW) return apiGet("/knowledge", { ...rest, status });
  return apiGet("/knowledge?status=draft&status=in_review", rest);
}

function filters() {
  return {
    q: $("q").value.trim(),
    machine_model: $("f-model").value,
    fault_code: $("f-code").value.trim(),
    signal: $("f-signal").value,
    status: view.staff ? $("f-status").value : "",
  };
}

// Nothing found: for words or filters, how to find more; with nothing asked yet, that the
// knowledge base is empty (never "no entry matches" before anything was typed).
function emptyText(asked) {
  if (Object.values(asked).some(Boolean)) return "No entry matches. Try fewer words or clear a filter.";
  if (view.writer) return "The knowledge base has no published entries yet. Write the first with “New entry”.";
  return "The knowledge base has no published entries yet.";
}

async function search() {
  const ticket = params().get("ticket");
  const machine = params().get("machine");
  if (ticket || machine) return showLinks(ticket, machine);
  $("context").hidden = true;
  const asked = filters();
  const request = ++view.request;
  $("result-status").textContent = "Searching…";
  try {
    const hits = await searchKnowledge({ ...asked, limit: 100 });
    if (request !== view.request) return;
    const what = asked.q ? `for “${asked.q}”, best match first` : "by title";
    $("result-status").textContent = hits.length ? `${hits.length} ${hits.length === 1 ? "entry" : "entries"} ${what}` : "";
    fill($("results"), hits.length ? hits.map((hit) => resultItem(hit.entry, snippet(hit.snippet))) : el("li", { class: "empty" }, emptyText(asked)));
    // The reading pane must not invite a pick from an empty list.
    if (!hits.length && !view.entry) {
      fill($("pane"), el("div", { class: "kb-placeholder muted" },
        Object.values(asked).some(Boolean) ? "No entry to show for this search." : "Nothing to read yet: entries show here once they are published."));
    }
    openBest(hits.map((hit) => hit.entry));
  } catch (err) {
    showError($("results"), err);
    $("result-status").textContent = "";
  }
}

function resultItem(entry, extra) {
  const open = params().get("entry");
  return el("li", { class: `kb-result${String(entry.id) === open ? " kb-current" : ""}` },
    el("button", { type: "button", class: "kb-result-btn", "data-id": String(entry.id), onclick: () => openEntry(entry.id) },
      el("div", { class: "kb-result-head" },
        el("span", { class: "kb-result-title" }, entry.title),
        view.staff && entry.status !== "published" ? el("span", { class: "kb-result-pills" }, statusPills(entry)) : null),
      el("div", { class: "kb-result-chips" }, chips(entry)),
      extra));
}

// The entries a ticket's or a machine's fault links to, with why each one matched.
async function showLinks(ticket, machine) {
  const request = ++view.request;
  $("result-status").textContent = "Finding the entries for this fault…";
  try {
    const links = ticket
      ? await apiGet(`/tickets/${encodeURIComponent(ticket)}/knowledge`)
      : await apiGet(`/machines/${encodeURIComponent(machine)}/knowledge`, { signals: params().get("signals"), fault_code: params().get("fault_code") });
    if (request !== view.request) return;
    const facts = [links.machine_model, ...links.fault_codes.map((c) => `fault ${c}`), ...links.signals.map(signalLabel)];
    fill($("context"),
      el("div", { class: "kb-context-head" },
        el("strong", {}, links.ticket ? `Ticket ${links.ticket.number}` : ticket ? `Ticket ${ticket}` : `Machine ${machine}`),
        el("button", { type: "button", class: "btn kb-btn-quiet kb-small-btn", onclick: () => { setAddress({ ticket: null, machine: null, signals: null, fault_code: null }); search(); } }, "Clear")),
      el("div", { class: "muted small" }, `Matched on ${facts.join(" · ")}`));
    $("context").hidden = false;
    $("result-status").textContent = links.links.length ? `${links.links.length} linked, best first` : "";
    fill($("results"), links.links.length
      ? links.links.map((link) => resultItem(link.entry, el("p", { class: "kb-why" }, whyLinked(link, links.machine_model))))
      : el("li", { class: "empty" }, "Nothing in the knowledge base matches this fault yet."));
    openBest(links.links.map((link) => link.entry));
  } catch (err) {
    showError($("results"), err);
    $("result-status").textContent = "";
  }
}

// A search shows its best answer at once, unless an entry is open or being edited.
function openBest(entries) {
  if (!entries.length || view.editing || params().get("entry")) return;
  setAddress({ entry: entries[0].id }, true);
  openEntry(entries[0].id, { push: false });
}

function whyLinked(link, model) {
  if (link.reason === "fault_code") return `Fault ${link.matched_codes.join(", ")} on ${model}: the manual's page`;
  return `Same signals: ${link.matched_signals.map(signalLabel).join(", ")}`;
}

async function countReviews() {
  if (!view.writer) return;
  try {
    const waiting = await searchKnowledge({ status: TO_REVIEW, limit: 200 });
    $("review-count").textContent = String(waiting.length);
    $("review-count").hidden = waiting.length === 0;
  } catch { /* the count is a hint; the list itself reports errors */ }
}

// ---------- reading ----------

async function openEntry(id, { push = true } = {}) {
  view.editing = false;
  if (push) setAddress({ entry: id });
  for (const item of document.querySelectorAll(".kb-result")) item.classList.remove("kb-current");
  try {
    view.entry = await apiGet(`/knowledge/${encodeURIComponent(id)}`);
    renderEntry();
    markCurrent(id);
    // On a phone the entry sits below the results: take the reader there when they chose it.
    if (push && window.matchMedia("(max-width: 900px)").matches) $("pane").scrollIntoView({ behavior: "smooth" });
  } catch (err) {
    view.entry = null;
    const message = err instanceof ApiError && err.status === 404 ? "This entry does not exist or is not shared with you." : null;
    if (message) fill($("pane"), el("p", { class: "muted kb-placeholder" }, message));
    else showError($("pane"), err);
  }
}

function markCurrent(id) {
  for (const button of document.querySelectorAll(".kb-result-btn")) {
    const item = button.parentElement;
    item.classList.toggle("kb-current", button.dataset.id === String(id));
  }
}

function renderEntry(version) {
  const { entry, versions, proposals } = view.entry;
  const shown = version || entry;
  fill($("pane"),
    el("div", { class: "kb-entry-head" },
      el("div", { class: "kb-kind muted small" }, KIND_TEXT[entry.kind] || entry.kind),
      el("h1", { class: "kb-title" }, shown.title || entry.title),
      el("div", { class: "kb-pills" }, view.staff ? [...statusPills(entry), audiencePill(shown.audience || entry.audience)] : null, chips(shown.machine_models ? shown : entry))),
    version ? versionBanner(version) : authorship(entry),
    !version ? pendingBanner(entry) : null,
    !version ? proposalBanner(entry) : null,
    view.writer && !version ? actions(entry) : null,
    el("div", { class: "kb-sections" }, SECTIONS.map(([key, label]) => section(label, shown[key]))),
    partsSection(version ? version.part_numbers.map((p) => ({ part_number: p, description: partName(entry, p) })) : entry.parts),
    view.staff ? historyPanel(entry, versions, proposals, version) : null);
}

function authorship(entry) {
  const lines = [
    el("span", {}, `Version ${entry.version} written by `, el("strong", {}, entry.written_by), ` · ${when(entry.written_at)}`),
  ];
  if (entry.published_by) lines.push(el("span", {}, `Published by `, el("strong", {}, entry.published_by), ` · ${when(entry.published_at)}`));
  else lines.push(el("span", {}, "Not published yet"));
  if (view.staff) lines.push(el("span", {}, `Created by ${entry.created_by} · ${when(entry.created_at)}`));
  return el("div", { class: "kb-authorship muted small" }, lines);
}

function pendingBanner(entry) {
  if (!view.staff || !entry.published_version || !entry.pending_review) return null;
  return el("div", { class: "kb-banner kb-banner-info" },
    `Version ${entry.current_version} is not published yet: readers see version ${entry.published_version}. Submit it for review, then publish it.`);
}

function proposalBanner(entry) {
  if (!entry.source_ticket) return null;
  return el("div", { class: "kb-banner kb-banner-warn" },
    "Proposed from ticket ",
    el("a", { href: `/tickets/${entry.source_ticket.id}` }, entry.source_ticket.number),
    `: what its repair taught. Customer names were replaced with [customer]; it stays internal until you edit it. Read it for anything a customer must not see before publishing it for customers.`);
}

function versionBanner(version) {
  const summary = version.summary;
  return el("div", { class: "kb-banner kb-banner-info" },
    `You are reading version ${summary.version} by ${summary.edited_by_name}, ${when(summary.edited_at)}${summary.change_note ? ` (“${summary.change_note}”)` : ""}. `,
    el("button", { type: "button", class: "btn kb-btn-outline kb-small-btn", onclick: () => renderEntry() }, "Back to the newest version"));
}

// A part's description as the newest version knows it (an older version's part may be gone).
function partName(entry, number) {
  const known = entry.parts.find((p) => p.part_number === number);
  return known ? known.description : "";
}

function section(label, text) {
  if (!text || !text.trim()) return null;
  return el("section", { class: "kb-section" }, el("h2", {}, label), el("div", { class: "kb-text" }, text));
}

function partsSection(parts) {
  if (!parts || !parts.length) return null;
  return el("section", { class: "kb-section" },
    el("h2", {}, "Parts usually needed"),
    el("table", { class: "table kb-parts" },
      el("thead", {}, el("tr", {}, el("th", {}, "Part number"), view.staff ? el("th", {}, "Description") : null)),
      el("tbody", {}, parts.map((p) => el("tr", {}, el("td", { class: "kb-mono" }, p.part_number), view.staff ? el("td", {}, p.description || "not in the catalogue") : null)))));
}

function historyPanel(entry, versions, proposals, open) {
  const proposedBy = new Map(proposals.map((p) => [p.version, p]));
  return el("details", { class: "kb-history", open: Boolean(open) },
    el("summary", {}, `History: ${versions.length} ${versions.length === 1 ? "version" : "versions"}`),
    el("ol", { class: "kb-versions" }, versions.map((v) => {
      const proposal = proposedBy.get(v.version);
      return el("li", { class: open && open.summary.version === v.version ? "kb-current" : "" },
        el("button", { type: "button", class: "kb-version-btn", onclick: () => showVersion(entry.id, v.version) },
          el("span", { class: "kb-version-no" }, `v${v.version}`),
          el("span", {}, v.edited_by_name),
          el("span", { class: "muted" }, when(v.edited_at)),
          v.published ? el("span", { class: "status-pill kb-st-published" }, "Readers see this") : null,
          v.audience === "internal" ? el("span", { class: "muted small" }, "internal") : null),
        v.change_note ? el("div", { class: "muted small kb-note" }, v.change_note) : null,
        proposal ? el("div", { class: "small kb-note" }, "From ticket ", el("a", { href: `/tickets/${proposal.ticket.id}` }, proposal.ticket.number)) : null);
    })));
}

async function showVersion(id, number) {
  if (number === view.entry.entry.current_version) { renderEntry(); return; }
  try {
    const version = await apiGet(`/knowledge/${id}/versions/${number}`);
    renderEntry({ ...version, title: version.summary.title, audience: version.summary.audience });
  } catch (err) { showError($("pane"), err); }
}

// ---------- workflow ----------

function actions(entry) {
  const moves = (MOVES[entry.status] || []).map(([to, label, style]) =>
    el("button", { type: "button", class: `btn ${style}`, onclick: () => move(entry, to, label) }, label));
  const edit = entry.status === "retired" ? null
    : el("button", { type: "button", class: "btn kb-btn-outline", onclick: () => openEditor(entry) }, "Edit");
  return el("div", { class: "kb-actions" }, edit, moves, el("span", { id: "action-status", class: "small", role: "status" }));
}

async function move(entry, to, label) {
  const status = $("action-status");
  status.className = "small muted";
  status.textContent = `${label}…`;
  try {
    view.entry = await apiPost(`/knowledge/${entry.id}/transitions`, { to });
    renderEntry();
    await Promise.all([search(), countReviews()]);
  } catch (err) {
    if (err instanceof SignedOut) { goToSignIn(); return; }
    const box = $("action-status");
    box.className = "small error";
    box.textContent = err.message;
  }
}

// ---------- editing ----------

function field(label, input, hint) {
  return el("label", { class: "kb-field" }, el("span", { class: "kb-label" }, label), input, hint ? el("span", { class: "muted small" }, hint) : null);
}

function listText(values) { return (values || []).join(", "); }
function listOf(text) { return text.split(/[,;\n]/).map((s) => s.trim()).filter(Boolean); }

function openEditor(entry) {
  view.editing = true;
  const blank = { kind: "symptom", audience: "internal", title: "", machine_models: [], fault_codes: [], signals: [], parts: [], symptoms: "", causes: "", checks: "", remedies: "", body: "" };
  const e = entry || blank;
  const kind = el("select", { id: "e-kind" }, Object.entries(KIND_TEXT).map(([value, text]) => el("option", { value, selected: e.kind === value }, text)));
  const audience = el("select", { id: "e-audience" },
    el("option", { value: "internal", selected: e.audience === "internal" }, "Internal (staff only)"),
    el("option", { value: "customers", selected: e.audience === "customers" }, "Customers owning these models"));
  const inputs = {
    title: el("input", { id: "e-title", value: e.title, maxlength: "200", required: true }),
    machine_models: el("input", { id: "e-models", value: listText(e.machine_models), placeholder: "FIL-12, CAP-6" }),
    fault_codes: el("input", { id: "e-codes", value: listText(e.fault_codes), placeholder: "201" }),
    signals: el("input", { id: "e-signals", value: listText(e.signals), placeholder: SIGNALS.join(", ") }),
    parts: el("input", { id: "e-parts", value: listText(e.parts.map((p) => p.part_number)), placeholder: "FIL12-BRG-KIT" }),
  };
  const texts = Object.fromEntries(SECTIONS.map(([key]) => [key, el("textarea", { id: `e-${key}`, rows: key === "body" ? "3" : "5", maxlength: "20000" }, e[key] || "")]));
  const note = el("input", { id: "e-note", maxlength: "500", placeholder: entry ? "What changed, for the history" : "created" });
  const status = el("p", { class: "small", role: "status" });
  const form = el("form", { class: "kb-editor", novalidate: true },
    el("h1", { class: "kb-title" }, entry ? `Edit: ${entry.title}` : "New entry"),
    entry && entry.status === "published" ? el("div", { class: "kb-banner kb-banner-info" }, `Saving makes version ${entry.current_version + 1} a draft; readers keep version ${entry.published_version} until you publish again.`) : null,
    el("div", { class: "kb-grid" },
      field("Kind", kind), field("Who may read it once published", audience)),
    field("Title", inputs.title),
    el("div", { class: "kb-grid" },
      field("Machine models", inputs.machine_models, "comma-separated"),
      field("Fault codes", inputs.fault_codes, "a fault-code page names at least one")),
    el("div", { class: "kb-grid" },
      field("Signals", inputs.signals, "links alerts driven by these signals"),
      field("Parts usually needed", inputs.parts, "part numbers")),
    SECTIONS.map(([key, label]) => field(label, texts[key])),
    field("Change note", note),
    el("div", { class: "kb-actions" },
      el("button", { type: "submit", class: "btn kb-btn" }, entry ? "Save as new version" : "Create draft"),
      el("button", { type: "button", class: "btn kb-btn-outline", onclick: () => (entry ? renderEntry() : fill($("pane"), el("div", { class: "kb-placeholder muted" }, "Search, or pick an entry on the left."))) }, "Cancel"),
      status));
  const key = newIdempotencyKey();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const codes = listOf(inputs.fault_codes.value);
    if (codes.some((c) => !/^\d+$/.test(c))) { status.className = "small error"; status.textContent = "Fault codes are whole numbers."; return; }
    const body = {
      kind: kind.value,
      audience: audience.value,
      title: inputs.title.value.trim(),
      machine_models: listOf(inputs.machine_models.value),
      fault_codes: codes.map(Number),
      signals: listOf(inputs.signals.value),
      part_numbers: listOf(inputs.parts.value),
      ...Object.fromEntries(SECTIONS.map(([k]) => [k, texts[k].value])),
      change_note: note.value.trim(),
    };
    status.className = "small muted";
    status.textContent = "Saving…";
    try {
      view.entry = entry
        ? await apiPut(`/knowledge/${entry.id}`, { ...body, base_version: entry.current_version })
        : await apiPost("/knowledge", body, { idempotencyKey: key });
      view.editing = false;
      setAddress({ entry: view.entry.entry.id });
      renderEntry();
      await Promise.all([search(), countReviews()]);
    } catch (err) {
      if (err instanceof SignedOut) { goToSignIn(); return; }
      status.className = "small error";
      status.textContent = err.message;
    }
  });
  fill($("pane"), form);
  inputs.title.focus();
}

// ---------- start ----------

function fillFilters(lines) {
  const models = [...new Set(lines.flatMap((line) => line.machines.map((m) => m.model)))].sort();
  fill($("f-model"), el("option", { value: "" }, "All models"), models.map((m) => el("option", { value: m }, m)));
  fill($("f-signal"), el("option", { value: "" }, "Any signal"), SIGNALS.map((s) => el("option", { value: s }, signalLabel(s))));
  const p = params();
  $("q").value = p.get("q") || "";
  $("f-model").value = p.get("model") || "";
  $("f-code").value = p.get("code") || "";
  $("f-signal").value = p.get("signal") || "";
  $("f-status").value = p.get("status") || "";
}

function bind() {
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const f = filters();
    setAddress({ q: f.q, model: f.machine_model, code: f.fault_code, signal: f.signal, status: f.status, ticket: null, machine: null, signals: null, fault_code: null, entry: null });
    search();
  });
  for (const id of ["f-model", "f-signal", "f-status"]) {
    $(id).addEventListener("change", () => $("search-form").requestSubmit());
  }
  $("new-entry").addEventListener("click", () => openEditor(null));
  $("review-queue").addEventListener("click", () => {
    $("f-status").value = TO_REVIEW;
    $("search-form").requestSubmit();
  });
  window.addEventListener("popstate", () => {
    const entry = params().get("entry");
    search();
    if (entry) openEntry(entry, { push: false });
  });
}

async function start() {
  takeTokenFromLink();
  let lines;
  try {
    [view.me, lines] = await Promise.all([apiGet("/me"), apiGet("/lines")]);
  } catch (err) {
    if (err instanceof SignedOut) { goToSignIn(); return; }
    document.body.append(el("p", { class: "error kb-error" }, `LineCare is not reachable: ${err.message}`));
    return;
  }
  if (lines.length) view.zone = lines[0].site.timezone;
  view.staff = view.me.role !== "customer";
  view.writer = WRITERS.has(view.me.role);
  showSignedIn(view.me);
  $("f-status-box").hidden = !view.staff;
  $("new-entry").hidden = !view.writer;
  $("review-queue").hidden = !view.writer;
  fillFilters(lines);
  bind();
  $("kb").hidden = false;
  const entry = params().get("entry");
  await Promise.all([search(), countReviews(), entry ? openEntry(entry, { push: false }) : null]);
  // Deep links: ?entry=ID&edit=1 opens the editor (a proposal to review), &version=N a version.
  if (!view.entry) return;
  if (params().get("edit") === "1" && view.writer) openEditor(view.entry.entry);
  else if (params().get("version")) showVersion(view.entry.entry.id, Number(params().get("version")));
}

document.addEventListener("DOMContentLoaded", start);
