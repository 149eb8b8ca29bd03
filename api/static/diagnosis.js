// Remote diagnosis: live values pushed by the server, trends of any range drawn with uPlot
// (one chart per signal, one shared cursor), a sister machine and the healthy baseline
// beside them, the anomaly contributions, and a moment annotated onto a ticket.

import uPlot from "/static/vendor/uplot/uPlot.esm.js";
import { ApiError, SignedOut, apiGet, apiPath, apiPost, forgetToken, goToSignIn, newIdempotencyKey, storedToken, takeTokenFromLink } from "/static/api_client.js";
import { $, el, fill, fmtNumber } from "/static/dom.js";
import { fmtPlantTime, fmtSiteTime, zoneAbbreviation } from "/static/plant_time.js";
import { signalLabel } from "/static/signal_labels.js";
import { label, STATUS_LABELS } from "/static/ticket_texts.js";
import { showRefusal, showSignedIn } from "/static/top_bar.js";

const CURSOR_KEY = "diagnosis";
const CHART_HEIGHT = 150;
const POINTS = 1000;
const COLORS = ["#1f5fae", "#d64545", "#2e9e5b", "#8e44ad", "#e0a100", "#16a2b8", "#5d6879"];
const TREND_KINDS = new Set(["condition", "process", "counter"]);
const STATE_WORDS = {
  online: "online", offline: "offline", stale: "score stale", learning: "learning", unknown: "status unknown",
};
// A break in a series shorter than this many of its sample intervals is joined: a signal
// sampled every 10 s leaves every other 5 s bucket empty, and that is no outage.
const JOINED_INTERVALS = 3;

const view = {
  machine: new URLSearchParams(window.location.search).get("machine"),
  zone: "UTC",
  signals: [],          // every signal of the machine, from the live values
  shown: new Set(),     // the signals drawn
  zoom: null,           // [from, to] ISO strings while zoomed in
  charts: [],
  mark: null,           // {at, signal} the moment to annotate
  annotations: [],
  drawing: 0,           // the latest trend load; an older one that answers later is dropped
};

function showError(error) {
  const node = $("page-error");
  node.hidden = false;
  node.textContent = error instanceof ApiError ? error.message : `Something went wrong: ${error.message}`;
}

// ---- live values --------------------------------------------------------------------

// EventSource cannot send the Authorization header: with a stored token (the demo's links)
// the same text/event-stream is read through fetch; signed in by cookie, EventSource does.
function openLiveStream(path, onLive) {
  const token = storedToken();
  if (!token) {
    streamFromSession(path, onLive);
    return;
  }
  const read = async () => {
    const response = await fetch(path, { headers: { Authorization: `Bearer ${token}`, Accept: "text/event-stream" } });
    if (response.status === 401) {
      // The stored token was refused: forget it and carry on with the session cookie.
      forgetToken();
      streamFromSession(path, onLive);
      return false;
    }
    if (!response.ok) throw new ApiError(response.status, `live values: ${response.status}`);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value.replace(/\r\n/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const lines = block.split("\n");
        const data = lines.filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n");
        if (lines.includes("event: live") && data) onLive(JSON.parse(data));
      }
    }
  };
  const again = () => { $("live-note").textContent = "reconnecting…"; setTimeout(loop, 3000); };
  const loop = () => read().then((going) => (going === false ? undefined : again()), (error) => (error instanceof ApiError && error.status === 404 ? showError(error) : again()));
  loop();
}

function streamFromSession(path, onLive) {
  const source = new EventSource(path);
  source.addEventListener("live", (event) => onLive(JSON.parse(event.data)));
  source.onerror = () => { $("live-note").textContent = "reconnecting…"; };
}

// The value in its tile: the number kept whole (see .diag-value .v in diagnosis.css).
function liveValue(v) {
  if (v.value_name) return el("div", { class: "v" }, v.value_name);
  const text = fmtNumber(v.value);
  return el("div", { class: `v${text.length > 9 ? " long" : ""}` },
    el("span", { class: "num" }, text), " ", el("span", { class: "small muted" }, v.unit));
}

function showLive(update) {
  const { live, status } = update;
  view.signals = live.values;
  $("machine-title").textContent = view.lineName ? `${view.lineName} · ${live.machine_name}` : live.machine_name;
  const state = $("live-state");
  state.dataset.state = status.state;
  state.textContent = STATE_WORDS[status.state] || status.state;
  state.title = status.reason || "";
  const newest = live.values.map((v) => v.time).filter(Boolean).sort().pop();
  $("live-note").textContent = [
    newest ? `newest sample ${fmtSiteTime(newest, view.zone, { seconds: true })}` : "no samples yet",
    status.reason,
  ].filter(Boolean).join(" · ");
  const grid = $("live-values");
  const before = new Map([...grid.children].map((n) => [n.dataset.signal, n.dataset.time]));
  fill(grid, live.values.map((v) => el("div", {
    class: `diag-value${before.has(v.signal) && before.get(v.signal) !== (v.time || "") ? " flash" : ""}`,
    "data-signal": v.signal, "data-time": v.time || "", "data-quality": v.quality || "",
  },
  el("div", { class: "muted small" }, signalLabel(v.signal)),
  liveValue(v),
  el("div", { class: "muted small" }, v.time ? fmtPlantTime(v.time, view.zone, { date: false, seconds: true }) : "—"))));
  if (!$("signals").querySelector("input")) buildSignalPicker();
}

// ---- trends -------------------------------------------------------------------------

function buildSignalPicker() {
  const trendable = view.signals.filter((v) => TREND_KINDS.has(v.kind));
  for (const v of trendable.filter((s) => s.kind === "condition")) view.shown.add(v.signal);
  $("signals").append(...trendable.map((v) => el("label", {},
    el("input", { type: "checkbox", value: v.signal, checked: view.shown.has(v.signal), onchange: (e) => {
      if (e.target.checked) view.shown.add(v.signal); else view.shown.delete(v.signal);
      loadTrends().catch(showError);
    } }), signalLabel(v.signal))));
  loadTrends().catch(showError);
}

function rangeParams() {
  if (view.zoom) return { from: view.zoom[0], to: view.zoom[1] };
  const span = Number($("range").value) * 1000;
  const newest = view.signals.map((v) => v.time).filter(Boolean).sort().pop();
  const to = newest ? new Date(newest) : new Date();
  return { from: new Date(to - span).toISOString(), to: to.toISOString() };
}

// Ticks in the site's 24 h clock; the date at the first tick and at each midnight.
function timeLabels(u, splits) {
  return splits.map((s, i) => {
    const iso = new Date(s * 1000).toISOString();
    const clock = fmtPlantTime(iso, view.zone, { date: false });
    return i === 0 || clock === "00:00" ? fmtPlantTime(iso, view.zone) : clock;
  });
}

function tzDate(seconds) { return uPlot.tzDate(new Date(seconds * 1000), view.zone); }

// uPlot's gap filter: of the breaks in a series (pixel spans between the samples either
// side of empty buckets), only those longer than `seconds` stay breaks; shorter ones are
// joined. A real outage of the machine's data stays visible as a gap.
function gapsLongerThan(seconds) {
  return (u, seriesIdx, idx0, idx1, gaps) => {
    const origin = u.scales.x.min;
    const width = u.valToPos(origin + seconds, "x", true) - u.valToPos(origin, "x", true);
    return gaps.filter(([from, to]) => to - from > width);
  };
}

// The usual spacing of a series' samples, in seconds: the median step between its filled
// buckets (never finer than a bucket).
function sampleSpacing(times, values, bucket) {
  const filled = times.filter((t, i) => values[i] !== null && values[i] !== undefined);
  const steps = filled.slice(1).map((t, i) => t - filled[i]).sort((a, b) => a - b);
  return Math.max(bucket, steps.length ? steps[Math.floor(steps.length / 2)] : bucket);
}

function chartOptions(title, unit, series, bands, width, onSelect, range) {
  return {
    title, width, height: CHART_HEIGHT, tzDate, bands,
    cursor: { sync: { key: CURSOR_KEY, setSeries: false }, drag: { x: true, y: false } },
    // Every chart spans the range asked for, so the shared cursor points at one moment.
    scales: { x: { time: true, ...(range ? { range: () => range } : {}) } },
    axes: [{ space: 80, values: timeLabels }, { label: unit, size: 60 }],
    series: [{ label: "time", value: (u, v) => (v === null ? "—" : fmtPlantTime(new Date(v * 1000).toISOString(), view.zone, { seconds: true })) }, ...series],
    hooks: {
      setSelect: [(u) => {
        if (u.select.width < 4) return;
        const from = u.posToVal(u.select.left, "x");
        const to = u.posToVal(u.select.left + u.select.width, "x");
        u.setSelect({ width: 0, height: 0 }, false);
        onSelect(from, to);
      }],
      draw: [(u) => drawAnnotations(u)],
    },
  };
}

// Annotated moments as thin vertical lines, so a mark made earlier is found again.
function drawAnnotations(u) {
  const { ctx } = u;
  ctx.save();
  ctx.strokeStyle = "#e0a100";
  ctx.lineWidth = 2 * devicePixelRatio;
  for (const a of view.annotations) {
    const x = Math.round(u.valToPos(Date.parse(a.at) / 1000, "x", true));
    if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
  }
  ctx.restore();
}

function markAt(signal, seconds) {
  view.mark = { signal, at: new Date(seconds * 1000).toISOString() };
  $("mark-time").textContent = fmtSiteTime(view.mark.at, view.zone, { seconds: true });
  $("mark-signal").textContent = signal ? signalLabel(signal) : "—";
  $("mark-signal").dataset.signal = signal || "";
}

function signalChart(times, series, index, trends, width, range) {
  const color = COLORS[index % COLORS.length];
  const data = [times, series.max, series.min, series.avg];
  const gaps = gapsLongerThan(JOINED_INTERVALS * sampleSpacing(times, series.avg, trends.bucket_s));
  const parts = [
    { label: "max", stroke: `${color}55`, width: 1, gaps, value: (u, v) => fmtNumber(v) },
    { label: "min", stroke: `${color}55`, width: 1, gaps, value: (u, v) => fmtNumber(v) },
    { label: "avg", stroke: color, width: 1.5, gaps, value: (u, v) => fmtNumber(v) },
  ];
  const bands = [{ series: [1, 2], fill: `${color}22` }];
  const sister = trends.compare && trends.compare.series.find((s) => s.signal === series.signal);
  if (sister) {
    data.push(sister.avg);
    const sisterGaps = gapsLongerThan(JOINED_INTERVALS * sampleSpacing(times, sister.avg, trends.bucket_s));
    parts.push({ label: trends.compare.machine_id, stroke: "#5d6879", dash: [6, 4], width: 1.5, gaps: sisterGaps, value: (u, v) => fmtNumber(v) });
  }
  const normal = trends.baseline && trends.baseline.signals.find((s) => s.signal === series.signal);
  if (normal && normal.normals.length) {
    // The all-regime normal when there is one, else the first regime's: center ± 3 spreads.
    const n = normal.normals.find((r) => r.regime === "*") || normal.normals[0];
    data.push(times.map(() => n.center + 3 * n.scale), times.map(() => n.center - 3 * n.scale));
    parts.push({ label: "healthy +3σ", stroke: "#2e9e5b", dash: [2, 3], width: 1, value: (u, v) => fmtNumber(v) },
      { label: "healthy −3σ", stroke: "#2e9e5b", dash: [2, 3], width: 1, value: (u, v) => fmtNumber(v) });
    bands.push({ series: [data.length - 2, data.length - 1], fill: "#2e9e5b14" });
  }
  const holder = el("div", { class: "diag-chart" });
  const chart = new uPlot(chartOptions(signalLabel(series.signal), series.unit, parts, bands, width, zoomTo, range), data, holder);
  // An empty plot says why it is empty, instead of a blank grid.
  if (!series.avg.some((v) => v !== null && v !== undefined)) {
    holder.append(el("p", { class: "diag-chart-empty muted" }, `No ${signalLabel(series.signal)} readings in this range.`));
  }
  chart.over.addEventListener("click", () => {
    const idx = chart.cursor.idx;
    if (idx !== null && idx !== undefined) markAt(series.signal, times[idx]);
  });
  return { holder, chart };
}

function zoomTo(fromSeconds, toSeconds) {
  view.zoom = [new Date(fromSeconds * 1000).toISOString(), new Date(toSeconds * 1000).toISOString()];
  $("reset-zoom").hidden = false;
  reload();
}

async function loadTrends() {
  // Loads overlap when the user changes range or signals before an answer came: only the
  // latest may draw, or a slow older answer would replace the chart the user asked for.
  const drawing = ++view.drawing;
  const signals = [...view.shown];
  const range = rangeParams();
  const compare = $("compare").value;
  const [trends, annotations] = await Promise.all([
    signals.length ? apiGet(`/machines/${encodeURIComponent(view.machine)}/trends`, {
      signals: signals.join(","), ...range, points: POINTS, compare: compare || null, baseline: $("baseline").checked,
    }) : null,
    apiGet(`/machines/${encodeURIComponent(view.machine)}/annotations`, range).catch(() => []),
  ]);
  if (drawing !== view.drawing) return;
  view.annotations = annotations;
  for (const c of view.charts) c.destroy();
  view.charts = [];
  if (!trends) { fill($("charts"), el("p", { class: "muted" }, "Tick a signal above to draw its trend.")); return; }
  const times = trends.times.map((t) => Date.parse(t) / 1000);
  const width = $("charts").clientWidth || 1200;
  const span = [Date.parse(trends.since) / 1000, Date.parse(trends.until) / 1000];
  const built = trends.machine.series.map((s, i) => signalChart(times, s, i, trends, width, span));
  view.charts = built.map((b) => b.chart);
  fill($("charts"), built.map((b) => b.holder));
  $("trend-note").textContent = `${fmtSiteTime(trends.since, view.zone)} – ${fmtSiteTime(trends.until, view.zone)}`
    + ` · buckets of ${describeSeconds(trends.bucket_s)}, ${trends.source === "rollup" ? "from stored rollups" : "from raw samples"}`
    + (trends.baseline === null && $("baseline").checked ? " · no active model: no baseline" : "");
  await loadContributions(range, width, drawing);
}

function describeSeconds(s) {
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${s / 60} min`;
  if (s < 86400) return `${s / 3600} h`;
  return `${s / 86400} d`;
}

async function loadContributions(range, width, drawing) {
  const body = await apiGet(`/machines/${encodeURIComponent(view.machine)}/contributions`, { ...range, points: 500 });
  if (drawing !== view.drawing) return;
  if (!body.series.length) {
    fill($("contributions"), el("p", { class: "muted" }, "No anomaly scores in this range."));
    return;
  }
  const holder = el("div", {});
  fill($("contributions"), holder);
  const times = body.times.map((t) => Date.parse(t) / 1000);
  const span = [Date.parse(range.from) / 1000, Date.parse(range.to) / 1000];
  const chart = new uPlot(chartOptions("Share of the anomaly score", "share", body.series.map((s, i) => ({
    label: signalLabel(s.signal), stroke: COLORS[i % COLORS.length], width: 1.5, value: (u, v) => fmtNumber(v),
  })), [], width, zoomTo, span), [times, ...body.series.map((s) => s.avg)], holder);
  view.charts.push(chart);
}

// ---- annotations --------------------------------------------------------------------

async function loadTickets() {
  const tickets = await apiGet("/tickets", { machine_id: view.machine });
  // Tickets still being worked first; a finished one may still take a note for its review.
  const finished = new Set(["signed_off", "survey", "reviewed", "archived"]);
  const listed = tickets.filter((t) => t.status !== "archived")
    .sort((a, b) => finished.has(a.status) - finished.has(b.status));
  fill($("mark-ticket"), listed.length
    ? listed.map((t) => el("option", { value: t.id }, `${t.number} · ${label(STATUS_LABELS, t.status)} · ${t.summary}`))
    : el("option", { value: "" }, "no ticket of this machine"));
}

async function annotate(event) {
  event.preventDefault();
  const result = $("mark-result");
  if (!view.mark) { result.textContent = "Click a chart first to pick the moment."; return; }
  const ticket = $("mark-ticket").value;
  if (!ticket) { result.textContent = "This machine has no ticket to attach it to."; return; }
  try {
    await apiPost(`/tickets/${ticket}/annotations`, {
      machine_id: view.machine, at: view.mark.at, signal: view.mark.signal, note: $("mark-note").value,
    }, { idempotencyKey: newIdempotencyKey() });
    result.textContent = "Attached to the ticket.";
    $("mark-note").value = "";
    await loadTrends();
  } catch (error) {
    result.textContent = error.message;
  }
}

// ---- start --------------------------------------------------------------------------

function reload() { loadTrends().catch(showError); }

// Opened without a machine (from the page links): every machine the user may see, by line.
function showMachinePicker(lines) {
  $("page").hidden = false;
  for (const section of $("page").querySelectorAll("section")) section.hidden = true;
  $("machine-title").textContent = "Remote diagnosis";
  $("live-state").hidden = true;
  $("page").append(el("section", { class: "card diag-pick", "aria-labelledby": "pick-head" },
    el("h2", { id: "pick-head" }, "Choose a machine"),
    ...lines.map((line) => el("div", { class: "diag-pick-line" },
      el("h3", {}, `${line.name} · ${line.customer.name} · ${line.site.name}`),
      el("ul", {}, line.machines.map((m) => el("li", {},
        el("a", { href: `/diagnosis?machine=${encodeURIComponent(m.id)}` }, m.name),
        el("span", { class: "muted small" }, ` ${m.model} · S/N ${m.serial}`))))))));
}

async function start() {
  takeTokenFromLink();
  let me;
  let lines;
  try {
    [me, lines] = await Promise.all([apiGet("/me"), apiGet("/lines")]);
  } catch (error) {
    if (error instanceof SignedOut) { goToSignIn(); return; }
    throw error;
  }
  showSignedIn(me);
  // Remote diagnosis is the service team's tool (raw signals, annotations on tickets);
  // a customer follows their lines on My lines and their tickets' evidence.
  if (me.role === "customer") {
    showRefusal("Remote diagnosis is for the LineCare service team. Your lines and their state are on My lines.");
    return;
  }
  if (!view.machine) { showMachinePicker(lines); return; }
  // Looked up among the user's machines first: another customer's machine is not found.
  const line = lines.find((l) => l.machines.some((m) => m.id === view.machine));
  if (!line) throw new ApiError(404, `Machine "${view.machine}" not found among the lines you may see.`);
  const live = await apiGet(`/machines/${encodeURIComponent(view.machine)}/live`);
  $("page").hidden = false;
  view.zone = line.site.timezone;
  view.lineName = line.name;
  $("range").before(el("span", { class: "muted small" }, `times in ${zoneAbbreviation(view.zone)}`));
  const sisters = await apiGet(`/machines/${encodeURIComponent(view.machine)}/sisters`);
  const names = new Map(lines.flatMap((l) => l.machines.map((m) => [m.id, `${l.name} · ${m.name}`])));
  $("compare").append(...sisters.map((id) => el("option", { value: id }, names.get(id) || id)));
  for (const id of ["range", "compare", "baseline"]) $(id).addEventListener("change", () => { view.zoom = null; $("reset-zoom").hidden = true; reload(); });
  $("reset-zoom").addEventListener("click", () => { view.zoom = null; $("reset-zoom").hidden = true; reload(); });
  $("annotate").addEventListener("submit", annotate);
  showLive({ live, status: { state: "unknown", reason: null } });
  openLiveStream(apiPath(`/machines/${encodeURIComponent(view.machine)}/live/stream`), showLive);
  loadTickets().catch(() => fill($("mark-ticket"), el("option", { value: "" }, "tickets not available")));
}

start().catch((error) => {
  $("page").hidden = false;
  // Nothing to show of a machine that is not found: only the message.
  if (error instanceof ApiError && error.status === 404) {
    for (const section of $("page").querySelectorAll("section")) section.hidden = true;
    $("machine-title").textContent = "Machine not found";
  }
  showError(error);
});
