// LineCare console: vanilla JS over the JSON API, no build step, no external assets.
// Every string from the API goes into the page as text (never as HTML).
import { drawChart, sparkline } from "./charts.js";
import { $, el, fmtNumber, fmtPct } from "./dom.js";
import { fmtAgo, fmtPlantTime, zoneAbbreviation } from "./plant_time.js";
import { nextPage } from "./page_nav.js";
import { apiGet as api, apiGetAll, goToSignIn, SignedOut, takeTokenFromLink } from "./api_client.js";
import { showSignedIn } from "./top_bar.js";
import { clockBadge, urgentClock } from "./sla_view.js";
import { severityPill, statusPill } from "./ticket_badges.js";
import { customerStatus } from "./ticket_texts.js";
import { signalLabel } from "./signal_labels.js";
import { renderMyLines } from "./my_lines.js";

const REFRESH_MS = 5000;
// Until the anomaly API says otherwise: scores are on 0..1 and the calibrated limit is 0.5.
const DEFAULT_ALERT_SCORE = 0.5;
// A score below this shows as 0.0: nothing drives it, so no signal bars are drawn.
const NORMAL_SCORE = 0.05;
// Trends average their samples: meaningless for codes, so states, faults and products have none.
const CODED_KINDS = new Set(["state", "fault", "product"]);
// Data this much older than the plant's newest sample no longer counts as arriving.
const ARRIVING_MS = 5 * 60 * 1000;
const STAFF = new Set(["desk", "support", "admin"]);

// Deep links: /?machine=l1-capper&signal=bearing_temp&hours=8 open on that machine and trend.
const linkParams = new URLSearchParams(window.location.search);

const view = {
  me: null,
  lines: [],
  // Machine id → whether its data arrives (GET /api/machine-status).
  status: new Map(),
  machineId: linkParams.get("machine"),
  // A machine asked for by address that is none of the user's: said so, never swapped.
  missingMachine: null,
  trendSignal: linkParams.get("signal"),
  trendHours: [1, 8, 24, 168].includes(Number(linkParams.get("hours"))) ? Number(linkParams.get("hours")) : 1,
  plantTime: null,
  alertScore: DEFAULT_ALERT_SCORE,
  refreshedAt: null,
  refreshError: null,
  tickets: [],
  ticketNumbers: new Map(),
  timer: null,
  ticker: null,
  busy: false,
};

// ---------- view helpers ----------

// PackML state number → colour class (see the legend in the sidebar).
function stateClass(code) {
  if (code === null || code === undefined) return "st-none";
  if (code === 6) return "st-running";
  if ([5, 13, 14].includes(code)) return "st-suspended";
  if ([1, 8, 9, 10, 11, 12].includes(code)) return "st-held";
  if ([2, 3, 7, 15].includes(code)) return "st-setup";
  if ([4, 16, 17].includes(code)) return "st-idle";
  return "st-none";
}

function capitalized(text) { return text.charAt(0).toUpperCase() + text.slice(1); }

function customerView() { return Boolean(view.me) && view.me.role === "customer"; }

// A machine whose state signal is silent while its other signals arrive is no "no data".
function stateLabel(machine) {
  if (machine.state) return capitalized(machine.state.name);
  return machine.last_sample_at ? "state not reported" : "no data";
}

function scoreClass(score) {
  if (score === null || score === undefined) return "";
  return score >= view.alertScore ? "score-high" : score >= view.alertScore * 0.66 ? "score-warn" : "score-ok";
}

// Scores read with two decimals everywhere: the card, the sidebar, the alerts.
function fmtScore(score) { return score === null || score === undefined ? "—" : score.toFixed(2); }

// ---------- plant time ----------

function lineById(id) { return view.lines.find((line) => line.id === id) || null; }

// The zone of the selected line's site: the header clock and the machine's cards read in it.
function selectedZone() {
  const entry = findMachine(view.machineId);
  const line = entry ? entry.line : view.lines[0];
  return line ? line.site.timezone : undefined;
}

function zoneOfLine(lineId) {
  const line = lineById(lineId);
  return line ? line.site.timezone : selectedZone();
}

// The one zone label every visible site shares ("CET"), or null when the sites differ.
function sharedZoneLabel() {
  const labels = new Set(view.lines.map((line) => zoneAbbreviation(line.site.timezone, view.plantTime)));
  return labels.size === 1 ? [...labels][0] : null;
}

// A time in a table of several lines: in the row's site zone, labelled per row only when
// the sites do not share one zone (the card head names the shared one).
function siteTime(iso, lineId) {
  const zone = zoneOfLine(lineId);
  const text = fmtPlantTime(iso, zone);
  if (!iso || sharedZoneLabel()) return el("span", { title: zone }, text);
  return el("span", { title: zone }, `${text} ${zoneAbbreviation(zone, iso)}`);
}

function zoneNote() {
  const shared = sharedZoneLabel();
  return shared ? `plant time, ${shared}` : "each site's local time";
}

function allMachines() {
  return view.lines.flatMap((line) => line.machines.map((m) => ({ machine: m, line })));
}

function findMachine(id) { return allMachines().find((e) => e.machine.id === id) || null; }

function machineName(id) {
  const found = findMachine(id);
  return found ? `${found.line.name} · ${found.machine.name}` : id;
}

// ---------- sign-in ----------

// Signed in by the session cookie (or a '#token=' link's token): the console; else the
// sign-in page, which comes back here.
async function start() {
  takeTokenFromLink();
  try {
    view.me = await api("/me");
  } catch (err) {
    if (err instanceof SignedOut) { goToSignIn(); return; }
    $("console-error").textContent = `LineCare is not reachable: ${err.message}`;
    $("console-error").hidden = false;
    return;
  }
  // An old link sent here to sign in from a service page (/?next=...): back to it.
  const next = nextPage();
  if (next) { window.location.replace(next); return; }
  // The monitoring console is a desktop page; a field engineer works from /my-jobs on a
  // phone (a link to one machine, "/?machine=…", still opens here).
  if (view.me.role === "field_engineer" && !window.location.search) { window.location.replace("/my-jobs"); return; }
  showSignedIn(view.me);
  // A customer reads their lines in plain words; the staff console is the service team's.
  $(customerView() ? "my-lines" : "console").hidden = false;
  await refresh();
  view.timer = setInterval(refresh, REFRESH_MS);
  view.ticker = setInterval(renderRefreshStatus, 1000);
}

// ---------- refresh cycle ----------

async function refresh() {
  if (view.busy) return;
  view.busy = true;
  try {
    const [health, lines, alerts, tickets, status] = await Promise.all([
      api("/health").catch(() => null),
      api("/lines"),
      api("/alerts", { open_only: true, limit: 50 }),
      api("/tickets", { limit: 50 }),
      apiGetAll("/machine-status").catch(() => []),
    ]);
    view.status = new Map(status.map((s) => [s.machine_id, s]));
    // Staff get the plant's time from /health; a customer's page takes the newest sample
    // of their own machines.
    view.plantTime = (health && health.plant_time) || newestSampleTime(lines) || view.plantTime;
    view.lines = lines;
    if (view.machineId && !findMachine(view.machineId) && !view.refreshedAt) {
      view.missingMachine = view.machineId;
      view.machineId = null;
    }
    if (!view.missingMachine && (!view.machineId || !findMachine(view.machineId))) {
      view.machineId = lines.length && lines[0].machines.length ? lines[0].machines[0].id : null;
    }
    renderMissingMachine();
    renderClock();
    if (customerView()) {
      await renderMyLines(api, lines, view.status, view.plantTime);
      view.refreshedAt = Date.now();
      view.refreshError = null;
      return;
    }
    renderLines();
    view.ticketNumbers = new Map(tickets.map((t) => [t.id, t.number]));
    renderAlerts(alerts);
    renderTickets(tickets);
    await refreshMachine();
    view.refreshedAt = Date.now();
    view.refreshError = null;
  } catch (err) {
    if (err instanceof SignedOut) { goToSignIn(); return; }
    view.refreshError = err.message;
  } finally {
    renderRefreshStatus();
    view.busy = false;
  }
}

async function refreshMachine() {
  const entry = findMachine(view.machineId);
  if (!entry) return;
  renderMachineHeader(entry);
  const hours = view.trendHours;
  const [live, anomaly, oee] = await Promise.all([
    api(`/machines/${encodeURIComponent(entry.machine.id)}/live`),
    api(`/machines/${encodeURIComponent(entry.machine.id)}/anomaly`),
    api("/oee", { line_id: entry.line.id }),
  ]);
  renderLive(live);
  if (anomaly.alert_threshold !== view.alertScore) {
    view.alertScore = anomaly.alert_threshold;
    renderLines();
  }
  renderAnomaly(anomaly);
  renderOee(entry.line, oee);
  const trendable = live.values.filter((v) => !CODED_KINDS.has(v.kind));
  if (!view.trendSignal || !trendable.some((v) => v.signal === view.trendSignal)) {
    const preferred = trendable.find((v) => v.kind === "condition") || trendable[0];
    view.trendSignal = preferred ? preferred.signal : null;
  }
  renderSignalOptions(trendable);
  if (view.trendSignal) {
    const until = newestTime(live.values) || view.plantTime;
    const params = { signal: view.trendSignal };
    if (until) {
      params.until = until;
      params.since = new Date(new Date(until) - hours * 3600000).toISOString();
    }
    const trend = await api(`/machines/${encodeURIComponent(entry.machine.id)}/trend`, params);
    renderTrend(trend);
  }
}

function newestSampleTime(lines) {
  return newestTime(lines.flatMap((line) => line.machines.map((m) => ({ time: m.last_sample_at }))));
}

// The address named a machine that is none of the user's: say so in place of the machine's
// cards, and show nothing of it.
function renderMissingMachine() {
  $("console").classList.toggle("machine-missing", Boolean(view.missingMachine));
  $("my-lines-notice").hidden = !view.missingMachine;
  if (!view.missingMachine) return;
  $("my-lines-notice").textContent = `Machine "${view.missingMachine}" not found: it is none of the machines of your lines below.`;
  $("machine-header").replaceChildren(el("div", { role: "alert" },
    el("h1", {}, "Machine not found"),
    el("div", { class: "sub" }, `There is no machine "${view.missingMachine}" among the lines you may see. Choose one of your machines on the left.`)));
}

function newestTime(values) {
  const times = values.map((v) => v.time).filter(Boolean).sort();
  return times.length ? times[times.length - 1] : null;
}

function selectMachine(id) {
  view.machineId = id;
  view.missingMachine = null;
  renderMissingMachine();
  view.trendSignal = null;
  renderLines();
  renderClock();
  refreshMachine().catch((err) => { view.refreshError = err.message; renderRefreshStatus(); });
}

// ---------- rendering ----------

// Two clocks, told apart: the plant's (its newest data, in the site's zone) and how long
// ago this page last refreshed (the viewer's wall clock).
function renderClock() {
  const clock = $("plant-clock");
  if (!view.plantTime) {
    clock.replaceChildren("Plant time: no data yet");
    return;
  }
  const zone = selectedZone();
  const entry = findMachine(view.machineId);
  clock.replaceChildren(
    el("span", { class: "clock-label" }, "Plant time"), " ",
    fmtPlantTime(view.plantTime, zone), " ",
    el("span", { class: "clock-zone" }, zoneAbbreviation(zone, view.plantTime)));
  clock.title = `Newest data from the plant, in the local time of ${entry ? entry.line.site.name : "the site"} (${zone})`;
}

function renderRefreshStatus() {
  const status = $("refresh-status");
  const ago = view.refreshedAt ? `refreshed ${fmtAgo(Date.now() - view.refreshedAt)}` : "";
  status.classList.toggle("failed", Boolean(view.refreshError));
  status.textContent = view.refreshError ? `refresh failed: ${view.refreshError}${ago ? ` · last ${ago}` : ""}` : ago;
  status.title = view.refreshedAt
    ? `Last refreshed at ${new Date(view.refreshedAt).toLocaleTimeString()} on this computer's clock; every ${REFRESH_MS / 1000} s`
    : "";
}

function renderLines() {
  const selected = findMachine(view.machineId);
  $("lines").replaceChildren(...view.lines.map((line) => el("div", {
    class: `card line-card${selected && selected.line.id === line.id ? " selected" : ""}`,
  },
  el("div", { class: "line-title" }, el("strong", {}, line.name), el("span", { class: "muted small" }, line.model)),
  el("div", { class: "line-meta" }, `${line.customer.name} · ${line.site.name}`,
    el("br"), `S/N ${line.serial} · ${line.protocol === "mqtt" ? "MQTT" : "OPC UA"} · `,
    el("a", { href: `/report?line=${encodeURIComponent(line.id)}`, style: "color: var(--accent)", title: "A, P, Q, OEE, losses, downtimes; CSV and PDF" }, "OEE report")),
  el("div", { class: "machine-list" }, line.machines.map((m) => machineTile(m))))));
}

// Why a machine's data stopped, in words; the collector's own line is the tooltip.
const OFFLINE_REASONS = {
  silent: "no data",
  session_lost: "OPC UA session lost",
  unreachable: "server unreachable",
  untrusted: "certificate not trusted by the server",
  refused: "connection refused",
  device_death: "Sparkplug device offline",
  node_death: "Sparkplug edge node offline",
};

// In the site's zone and the console's 24 h format, like every other time on the page.
// (The collectors' clock: a simulated plant running ahead of it reads later times.)
function offlineText(status) {
  const entry = findMachine(status.machine_id);
  const zone = entry ? entry.line.site.timezone : selectedZone();
  const since = status.since ? `${fmtPlantTime(status.since, zone)} ${zoneAbbreviation(zone, status.since)}` : "?";
  return `offline since ${since} · ${OFFLINE_REASONS[status.reason] || status.reason || "unknown"}`;
}

function offlineStatus(machineId) {
  const status = view.status.get(machineId);
  return status && status.status === "offline" ? status : null;
}

function machineTile(machine) {
  const code = machine.state ? machine.state.code : null;
  const score = machine.anomaly ? machine.anomaly.score : null;
  const alerting = score !== null && score >= view.alertScore;
  const fault = machine.state && machine.state.fault_code ? ` · fault ${machine.state.fault_code}` : "";
  const offline = offlineStatus(machine.id);
  return el("button", {
    type: "button",
    class: `machine-tile ${stateClass(code)}${machine.id === view.machineId ? " selected" : ""}${offline ? " offline" : ""}`,
    onclick: () => selectMachine(machine.id),
    title: offline ? `${offlineText(offline)}\n${offline.detail || ""}` : `${machine.model} · S/N ${machine.serial}`,
  },
  el("i", { class: `dot ${stateClass(code)}` }),
  el("span", {}, el("span", { class: "name" }, machine.name), " ",
    el("span", { class: "state" }, `${stateLabel(machine)}${fault}`),
    offline ? el("span", { class: "offline-note" }, offlineText(offline)) : null),
  el("span", {
    class: `score ${scoreClass(score)}`,
    title: score === null ? "No anomaly score yet" : `Anomaly score ${fmtScore(score)} (alert at ${fmtScore(view.alertScore)} and above)`,
  }, score === null ? "" : `${alerting ? "⚑ " : ""}${fmtScore(score)}`));
}

function renderMachineHeader({ machine, line }) {
  const code = machine.state ? machine.state.code : null;
  const diagnosis = STAFF.has(view.me.role)
    ? el("a", { class: "diag-link", href: `/diagnosis?machine=${encodeURIComponent(machine.id)}`,
      title: "Several signals on one time axis, the healthy baseline, a sister machine, live values pushed" }, "Remote diagnosis")
    : null;
  $("machine-header").replaceChildren(
    el("div", {},
      el("h1", {}, `${line.name} · ${machine.name}`),
      el("div", { class: "sub" },
        `${line.customer.name} · ${line.site.name} · ${machine.model} · S/N ${machine.serial}`)),
    el("span", { class: "pills" },
      diagnosis,
      connectionPill(machine),
      el("span", { class: `state-pill ${stateClass(code)}` },
        stateLabel(machine),
        machine.state && machine.state.fault_code ? ` · fault ${machine.state.fault_code}` : "")));
}

// Online, or offline since when and why (the collector's line as tooltip). Without a word
// from a collector, the machine's newest sample decides: arriving, or since when none came.
function connectionPill(machine) {
  const status = view.status.get(machine.id);
  if (!status || status.status === "unknown") return arrivalPill(machine);
  if (status.status === "online") return el("span", { class: "conn-pill online" }, "online");
  return el("span", { class: "conn-pill offline", title: status.detail || "" }, offlineText(status));
}

function arrivalPill(machine) {
  const zone = selectedZone();
  const newest = machine.last_sample_at;
  if (!newest) return el("span", { class: "conn-pill unknown", title: "No collector has reported this machine and no sample is stored" }, "no data yet");
  const when = `${fmtPlantTime(newest, zone, { seconds: true })} ${zoneAbbreviation(zone, newest)}`;
  const behind = view.plantTime ? new Date(view.plantTime) - new Date(newest) : 0;
  if (behind <= ARRIVING_MS) {
    return el("span", { class: "conn-pill online", title: `Newest sample ${when}; no collector status recorded` }, "data arriving");
  }
  return el("span", { class: "conn-pill offline", title: "No collector status recorded" }, `no data since ${when}`);
}

// Coded values read as "name (code)": "Execute (6)", "Bottle 0.5 l (1)", "Infeed jam (101)".
function liveValue(v) {
  if (v.value === null) return "—";
  if (v.value_name) return `${capitalized(v.value_name)} (${v.value})`;
  if (CODED_KINDS.has(v.kind)) return String(v.value);
  return fmtNumber(v.value, v.kind === "counter" ? 0 : undefined);
}

function renderLive(live) {
  const zone = selectedZone();
  const newest = newestTime(live.values);
  // A sample from another day than the newest one carries its date.
  const sameDay = (iso) => newest && new Date(newest) - new Date(iso) < 12 * 3600000;
  const rows = live.values.map((v) => el("tr", {},
    el("td", {}, signalLabel(v.signal),
      v.kind === "counter" ? el("div", { class: "sub", title: "The PLC's running total since commissioning, not a shift figure" }, "PLC lifetime counter") : null),
    el("td", { class: "num" }, liveValue(v)),
    el("td", { class: "muted" }, v.unit),
    el("td", { class: v.quality ? `q-${v.quality}` : "muted" }, v.quality || "—"),
    el("td", { class: "muted" }, v.time ? fmtPlantTime(v.time, zone, { date: !sameDay(v.time), seconds: true }) : "—")));
  $("live-table").tBodies[0].replaceChildren(...rows);
  $("live-time").textContent = newest ? `as of ${fmtPlantTime(newest, zone)} ${zoneAbbreviation(zone, newest)}` : "no samples yet";
}

function renderAnomaly(anomaly) {
  const box = $("anomaly");
  const zone = selectedZone();
  if (anomaly.status === "learning") {
    $("anomaly-time").textContent = "";
    box.replaceChildren(learningProgress(anomaly.learning, anomaly.note));
    return;
  }
  if (anomaly.status === "unscored") {
    $("anomaly-time").textContent = "";
    box.replaceChildren(el("div", { class: "empty" }, `Not scored: ${anomaly.note}`));
    return;
  }
  if (!anomaly.latest) {
    box.replaceChildren(...[el("div", { class: "empty" }, "Model trained; the first scores follow with the next observations."),
      modelLine(anomaly.model, zone)].filter(Boolean));
    $("anomaly-time").textContent = "";
    return;
  }
  const latest = anomaly.latest;
  const when = `${fmtPlantTime(latest.time, zone)} ${zoneAbbreviation(zone, latest.time)}`;
  // A stale score is history, not the machine now: greyed, dated "as of", with the reason.
  $("anomaly-time").textContent = anomaly.latest_stale ? `as of ${when}` : when;
  const parts = [
    anomaly.latest_stale ? el("div", { class: "note small" }, `Not current: ${anomaly.latest_stale_reason}. Last score as of ${when}.`) : null,
    el("div", { class: anomaly.latest_stale ? "anomaly-top stale" : "anomaly-top" },
      el("div", {}, el("div", { class: `score-big ${scoreClass(latest.score)}` }, fmtScore(latest.score)),
        el("div", { class: "muted small" }, `0 = normal · alert at ${fmtScore(view.alertScore)} and above`)),
      el("div", { class: "spark-box" }, sparkline(anomaly.history.map((p) => p.score), view.alertScore),
        el("div", { class: "muted small" }, "last 24 h · dashed: alert threshold"))),
    anomaly.latest_stale ? el("div", { class: "stale" }, contributions(latest)) : contributions(latest),
    outlook(anomaly.forecast, zone),
    anomaly.note ? el("div", { class: "note small" }, anomaly.note) : null,
    modelLine(anomaly.model, zone),
  ];
  box.replaceChildren(...parts.filter(Boolean));
}

// A machine without a model: how much healthy running it has shown against what training needs.
function learningProgress(learning, note) {
  if (!learning) return el("div", { class: "empty" }, "Waiting for the first running data to learn this machine's normal.");
  const share = Math.min(1, learning.observations_seen / Math.max(1, learning.observations_needed));
  return el("div", { class: "learning" },
    el("div", {}, el("strong", {}, "Learning this machine's normal"), " — no anomaly score until it has seen enough healthy running."),
    el("div", { class: "progress" }, el("span", { style: `width: ${share * 100}%` })),
    el("div", { class: "muted small" },
      `${learning.observations_seen} of ${learning.observations_needed} observations · `
      + `${fmtNumber(learning.running_hours_seen, 1)} of ${fmtNumber(learning.running_hours_needed, 1)} running hours`),
    note && note !== "learning" ? el("div", { class: "note small" }, note) : null);
}

// Each signal's share of the score (the shares add up to it), with its deviation from normal.
function contributions(latest) {
  const head = el("div", { class: "muted small" }, "Signals driving the score (share of the score · deviation from normal)");
  if (latest.score < NORMAL_SCORE) {
    return el("div", { class: "contrib" }, head, el("div", { class: "empty" }, "Every signal is close to its normal: nothing drives the score."));
  }
  const top = latest.contributions.filter((c) => c.contribution > 0).slice(0, 5);
  const maxShare = Math.max(...top.map((c) => c.contribution), 1e-9);
  const rows = top.map((c) => {
    const width = `${(c.contribution / maxShare) * 100}%`;
    const direction = c.deviation > 0 ? "above" : "below";
    return el("div", { class: "contrib-row", title: `${signalLabel(c.signal)} is ${Math.abs(c.deviation).toFixed(1)} normal spreads ${direction} normal` },
      el("span", {}, signalLabel(c.signal)),
      el("div", { class: "dbar" }, el("div", { class: "pos" }, el("span", { class: c.contribution >= view.alertScore / 2 ? "high" : "", style: `width: ${width}` }))),
      el("span", { class: "num" }, `${fmtScore(c.contribution)} · ${c.deviation > 0 ? "+" : "−"}${Math.abs(c.deviation).toFixed(1)} σ`));
  });
  return el("div", { class: "contrib" }, head, rows.length ? rows : el("div", { class: "empty" }, "—"));
}

// Where the condition is heading: health index, time to the nearest limit, sudden shifts.
function outlook(forecast, zone) {
  if (!forecast) return null;
  const soonest = forecast.soonest;
  const lines = [
    el("div", {}, el("strong", {}, "Outlook "), `health index ${fmtScore(forecast.health_index)} (0 as trained, 0.5 at the limit)`),
    el("div", { class: soonest ? "forecast due" : "muted" },
      soonest ? `${signalLabel(soonest.signal)}: ${soonest.sentence.replace(soonest.signal, "").trim()}` : "No signal is heading for its limit."),
  ];
  if (forecast.change_at) {
    lines.push(el("div", { class: "muted small" }, `Sudden shift at ${fmtPlantTime(forecast.change_at, zone)} ${zoneAbbreviation(zone, forecast.change_at)}`));
  }
  return el("div", { class: "outlook" }, ...lines);
}

// Which model scores the machine, trained on what, and any signal it cannot score.
function modelLine(model, zone) {
  if (!model) return null;
  const constant = model.signals.filter((s) => !s.scored).map((s) => signalLabel(s.signal));
  return el("div", { class: "muted small model-line" },
    `Model v${model.version} · trained on ${model.observations} observations, `
    + `${fmtPlantTime(model.trained_from, zone)}–${fmtPlantTime(model.trained_until, zone)} · `
    + `${model.signals.filter((s) => s.scored).length} signals · false-alarm rate ${(model.false_alarm_probability * 100).toFixed(2)} % per observation`
    + (constant.length ? ` · not scored (constant in training): ${constant.join(", ")}` : ""));
}

// Measured signals first; the PLC's lifetime counters apart, so nobody reads them as shift figures.
function renderSignalOptions(values) {
  const select = $("trend-signal");
  const wanted = values.map((v) => v.signal).join(",");
  if (select.dataset.signals !== wanted) {
    const option = (v) => el("option", { value: v.signal }, v.unit ? `${signalLabel(v.signal)} (${v.unit})` : signalLabel(v.signal));
    const measured = values.filter((v) => v.kind !== "counter");
    const counters = values.filter((v) => v.kind === "counter");
    select.replaceChildren(
      el("optgroup", { label: "Condition and process" }, measured.map(option)),
      counters.length ? el("optgroup", { label: "PLC lifetime counters" }, counters.map(option)) : null);
    select.dataset.signals = wanted;
  }
  select.value = view.trendSignal || "";
}

function bucketText(seconds) {
  return seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
}

function renderTrend(trend) {
  const box = $("trend-chart");
  const zone = selectedZone();
  const note = trend.bucket_s ? `${trend.points.length} buckets of ${bucketText(trend.bucket_s)} (min–max band, average line)` : `${trend.points.length} raw samples`;
  const range = `${fmtPlantTime(trend.since, zone)} – ${fmtPlantTime(trend.until, zone)} ${zoneAbbreviation(zone, trend.until)}`;
  $("trend-note").textContent = `${signalLabel(trend.signal)}${trend.unit ? ` [${trend.unit}]` : ""} · ${range} · ${note}`;
  box.replaceChildren(drawChart(box, trend, zone));
}

function pctCell(value) {
  if (value === null || value === undefined) return el("td", { class: "muted" }, "—");
  const cls = value >= 0.85 ? "" : value >= 0.6 ? " warn" : " low";
  return el("td", {}, el("div", { class: `pct${cls}` },
    el("div", { class: "bar" }, el("span", { style: `width: ${Math.min(100, value * 100)}%` })),
    el("span", { class: "num" }, fmtPct(value))));
}

const ABOVE_100_NOTE = "Measured performance above 100 %: the ideal cycle time in the plant file is"
  + " probably wrong (or parts were counted twice), so performance and OEE are no figures.";

// The API sends no performance and OEE for a flagged shift: a capped 100 % would pass for a
// perfect one.
function flaggedCell(text) {
  return el("td", {}, el("span", { class: "flag", title: ABOVE_100_NOTE }, text));
}

const hasData = (figures) => Boolean(figures) && figures.planned_busy_s > 0;

// A, P, Q, OEE, good and rejects of the line or one machine; a subject without any covered
// time has no OEE: 0 % would blame it for a data gap.
function figureCells(figures) {
  if (!hasData(figures)) {
    return [el("td", { class: "muted", colspan: "6" }, "no data: not monitored during this shift")];
  }
  return [
    pctCell(figures.availability),
    figures.performance_flagged ? flaggedCell("⚠ above 100 % — check ideal cycle time") : pctCell(figures.performance),
    pctCell(figures.quality),
    figures.performance_flagged ? flaggedCell("⚠ data problem") : pctCell(figures.oee),
    el("td", { class: "num" }, fmtNumber(figures.good_count, 0)),
    el("td", { class: "num" }, fmtNumber(figures.reject_count, 0)),
  ];
}

// Each shift: the line's row, then its machines indented, in line order; a shift nobody
// monitored is one "no data" row.
function shiftRows(line, shift, zone) {
  const byMachine = new Map(shift.machines.map((m) => [m.subject_id, m]));
  const start = fmtPlantTime(shift.shift_start, zone);
  const end = fmtPlantTime(shift.shift_end, zone, { date: false });
  const monitored = hasData(shift.line) || shift.machines.some(hasData);
  // A shift still running shows figures of its first part only: said so, never read as final.
  const progress = shift.in_progress
    ? [el("span", { class: "pill-progress" }, "in progress"),
      el("div", { class: "sub" }, `counted to ${fmtPlantTime(shift.counted_until, zone, { date: false })}`)]
    : [];
  return [
    el("tr", { class: shift.in_progress ? "shift-row in-progress" : "shift-row" },
      el("td", {}, el("strong", {}, `${capitalized(shift.shift_name)} shift`), el("div", { class: "sub" }, `${start} – ${end}`), ...progress),
      el("td", { class: "subject" }, "Line"),
      ...figureCells(shift.line)),
    ...(monitored ? line.machines : []).map((machine) => el("tr", { class: "machine-row" },
      el("td", {}),
      el("td", { class: "subject" }, machine.name),
      ...figureCells(byMachine.get(machine.id)))),
  ];
}

function renderOee(line, report) {
  const zone = selectedZone();
  $("oee-title").textContent = `OEE per shift · ${line.name}`;
  $("oee-note").textContent = `A × P × Q = OEE · good and rejects counted in the shift · plant time, ${zoneAbbreviation(zone, view.plantTime)}`;
  const shifts = report.shifts.filter((s) => s.line);
  if (!shifts.length) {
    $("oee").replaceChildren(el("div", { class: "empty" }, "No OEE results for this line in the last 24 h of data."));
    return;
  }
  const header = el("tr", {}, ["Shift", "Line / machine", "Availability", "Performance", "Quality", "OEE", "Good", "Rejects"]
    .map((h, i) => el("th", { class: i >= 6 ? "num" : "" }, h)));
  $("oee").replaceChildren(el("table", { class: "table oee-table" }, el("thead", {}, header),
    ...shifts.map((s) => el("tbody", {}, shiftRows(line, s, zone)))));
}

function severity(value) { return el("span", { class: `sev sev-${value}` }, value); }

function renderAlerts(alerts) {
  $("alert-count").textContent = alerts.length;
  $("alert-zone").textContent = alerts.length ? zoneNote() : "";
  if (!alerts.length) {
    $("alerts").replaceChildren(el("div", { class: "empty" }, "No open alerts."));
    return;
  }
  const rows = alerts.map((a) => el("tr", { class: "clickable", onclick: () => selectMachine(a.machine_id) },
    el("td", {}, severity(a.severity)),
    el("td", {}, machineName(a.machine_id)),
    el("td", {}, a.message),
    el("td", {}, a.signals.map((s) => el("span", { class: "chip" }, signalLabel(s)))),
    el("td", { class: "num" }, fmtScore(a.peak_score)),
    el("td", { class: "muted nowrap" }, siteTime(a.opened_at, a.line_id)),
    el("td", { class: "nowrap" }, a.ticket_id ? (view.ticketNumbers.get(a.ticket_id) || `#${a.ticket_id}`) : "—")));
  const heads = ["Severity", "Machine", "Message", "Signals", "Peak score", "Opened", "Ticket"];
  $("alerts").replaceChildren(el("table", { class: "table" },
    el("thead", {}, el("tr", {}, heads.map((h, i) => el("th", { class: i === 4 ? "num" : "" }, h)))),
    el("tbody", {}, rows)));
}

// The tickets of the lines in view, each linking to its own page; the clock shown is the
// promise nearest its deadline. Customers read the status and the request in plain words.
function renderTickets(tickets) {
  view.tickets = tickets;
  const customer = view.me && view.me.role === "customer";
  const open = tickets.filter((t) => t.status !== "archived");
  $("ticket-count").textContent = `${open.length} open`;
  $("ticket-zone").replaceChildren(el("a", { href: "/tickets" }, customer ? "All your requests" : "Ticket queue"));
  if (!open.length) {
    $("tickets").replaceChildren(el("div", { class: "empty" }, "No open tickets."));
    return;
  }
  const rows = open.map((t) => {
    const clock = urgentClock(t);
    const zone = zoneOfLine(t.line_id);
    const request = customer && t.channel === "automatic_warning" ? "Noticed by our remote monitoring" : t.summary;
    return el("tr", { class: "clickable", onclick: () => { window.location.href = `/tickets/${t.id}`; } },
      el("td", { class: "nowrap" }, el("a", { href: `/tickets/${t.id}`, class: "ticket-link" }, t.number)),
      el("td", {}, customer ? customerStatus(t.status) : statusPill(t.status)),
      el("td", {}, severityPill(t.severity)),
      el("td", {}, machineName(t.machine_id), el("div", { class: "muted small" }, request)),
      el("td", { class: "nowrap" }, clock ? clockBadge(clock, zone, { withLabel: true }) : el("span", { class: "muted" }, "—")));
  });
  const heads = ["Ticket", "Status", "Severity", "Machine · request", "Next deadline"];
  $("tickets").replaceChildren(el("table", { class: "table" },
    el("thead", {}, el("tr", {}, heads.map((h) => el("th", {}, h)))),
    el("tbody", {}, rows)));
}

// ---------- start ----------

function wireControls() {
  for (const b of $("trend-range").querySelectorAll("button")) {
    b.classList.toggle("active", Number(b.dataset.hours) === view.trendHours);
  }
  $("trend-signal").addEventListener("change", (event) => {
    view.trendSignal = event.target.value;
    refreshMachine().catch(() => {});
  });
  for (const button of $("trend-range").querySelectorAll("button")) {
    button.addEventListener("click", () => {
      view.trendHours = Number(button.dataset.hours);
      for (const b of $("trend-range").querySelectorAll("button")) b.classList.toggle("active", b === button);
      refreshMachine().catch(() => {});
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  wireControls();
  start();
});
