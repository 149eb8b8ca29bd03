// The evidence frozen on an automatic ticket (GET /api/tickets/{id}/evidence): what the
// warning showed when it opened or joined the ticket. Staff read every figure; the
// customer reads the plain-language form the API gives them.

import { apiGet } from "./api_client.js";
import { drawChart } from "./charts.js";
import { el, fmtNumber, fmtPct } from "./dom.js";
import { fmtPlantTime, fmtSiteTime } from "./plant_time.js";

// A small chart of one signal's trend over the evidence window, drawn once the box is
// in the page (the chart takes its size from the box).
function trendChart(trend, since, until, zone) {
  const box = el("div", { class: "chart chart-small", role: "img", "aria-label": `${trend.label} trend before the warning` });
  const points = trend.points.filter((p) => p.value !== null)
    .map((p) => ({ ...p, min: p.min ?? p.value, max: p.max ?? p.value }));
  // From the first sample: a window reaching back before the machine sent data draws no blank.
  if (points.length && new Date(points[0].time) > new Date(since)) since = points[0].time;
  requestAnimationFrame(() => box.replaceChildren(drawChart(box, { since, until, points, bucket_s: trend.bucket_s, unit: trend.unit }, zone)));
  return el("figure", { class: "evidence-chart" },
    el("figcaption", {}, el("strong", {}, trend.label), trend.unit ? ` [${trend.unit}]` : ""), box);
}

function trendGrid(trends, since, until, zone) {
  if (!trends.length) return null;
  return el("div", { class: "evidence-charts" }, trends.map((t) => trendChart(t, since, until, zone)));
}

function shares(contributions) {
  if (!contributions || !contributions.shares.length) return null;
  const top = Math.max(...contributions.shares.map((s) => s.share), 1e-9);
  return el("div", { class: "evidence-block" },
    el("h3", {}, "Signals behind the anomaly"),
    el("p", { class: "muted small" }, `Share of the score and deviation from normal, over ${contributions.observations} observations · mean score ${contributions.mean_score.toFixed(2)}, peak ${contributions.peak_score.toFixed(2)}`),
    contributions.shares.slice(0, 6).map((s) => el("div", { class: "contrib-row" },
      el("span", {}, s.label),
      el("div", { class: "dbar" }, el("div", { class: "pos" }, el("span", { style: `width: ${(s.share / top) * 100}%` }))),
      el("span", { class: "num" }, `${fmtPct(s.share)} · ${s.deviation_sigma >= 0 ? "+" : "−"}${Math.abs(s.deviation_sigma).toFixed(1)} σ`))));
}

function hours(value) {
  if (value === null || value === undefined) return "—";
  return value < 48 ? `${fmtNumber(value, 1)} h` : `${fmtNumber(value / 24, 1)} d`;
}

function outlook(data) {
  if (!data || !data.signals.length) return null;
  return el("div", { class: "evidence-block" },
    el("h3", {}, "Time to threshold"),
    el("p", { class: "muted small" }, `Health index ${data.health_index.toFixed(2)} (0 as trained, 0.5 at the limit)`),
    el("table", { class: "table" },
      el("thead", {}, el("tr", {}, ["Signal", "Level", "Limit", "Reaches it in", "90 % band"].map((h, i) => el("th", { class: i ? "num" : "" }, h)))),
      el("tbody", {}, data.signals.map((s) => el("tr", {},
        el("td", {}, s.label),
        el("td", { class: "num" }, `${fmtNumber(s.level)} ${s.unit}`),
        el("td", { class: "num" }, `${fmtNumber(s.limit)} ${s.unit}`),
        el("td", { class: "num" }, s.hours_to_limit === null ? "not heading there" : s.hours_to_limit === 0 ? "reached" : hours(s.hours_to_limit)),
        el("td", { class: "num" }, s.hours_low === null ? "—" : `${hours(s.hours_low)} – ${hours(s.hours_high)}`))))));
}

function alarmsAndStops(snapshot, zone) {
  const rows = [
    ...snapshot.alarms.map((a) => ({ at: a.time, what: "PLC alarm", code: a.fault_code, text: a.text || a.message, lost: null })),
    ...snapshot.stops.map((s) => ({ at: s.start, end: s.end, what: `Stop · ${s.category.replaceAll("_", " ")}`, code: s.fault_code, text: s.reason, lost: s.lost_s })),
  ].sort((a, b) => new Date(b.at) - new Date(a.at));
  if (!rows.length) return el("div", { class: "evidence-block" }, el("h3", {}, "PLC alarms and stops"), el("p", { class: "muted" }, "None in the window before the warning."));
  const table = (items) => el("table", { class: "table" },
    el("thead", {}, el("tr", {}, ["When", "What", "Fault code", "Message / reason", "Lost"].map((h, i) => el("th", { class: i === 2 || i === 4 ? "num" : "" }, h)))),
    el("tbody", {}, items.map((r) => el("tr", {},
      el("td", { class: "nowrap" }, fmtPlantTime(r.at, zone), r.end ? `–${fmtPlantTime(r.end, zone, { date: false })}` : ""),
      el("td", {}, r.what),
      el("td", { class: "num" }, r.code ?? "—"),
      el("td", {}, r.text),
      el("td", { class: "num" }, r.lost === null ? "" : `${Math.max(1, Math.round(r.lost / 60))} min`)))));
  const stopped = snapshot.stops.reduce((sum, s) => sum + s.lost_s, 0);
  return el("div", { class: "evidence-block" },
    el("h3", {}, `PLC alarms and stops · ${snapshot.alarms.length} alarms, ${snapshot.stops.length} stops (${Math.round(stopped / 60)} min lost)`),
    table(rows.slice(0, SHOWN_EVENTS)),
    rows.length > SHOWN_EVENTS ? el("details", {}, el("summary", {}, `${rows.length - SHOWN_EVENTS} older entries`), table(rows.slice(SHOWN_EVENTS))) : null);
}

// The newest alarms and stops in view; older ones fold away.
const SHOWN_EVENTS = 6;

function oeeFigure(figure) {
  return figure ? `${fmtPct(figure.oee)} (A ${fmtPct(figure.availability)})` : "—";
}

function oeeImpact(impacts, ctx) {
  if (!impacts.length) return null;
  const subject = (i) => (i.scope === "line" ? (ctx.lineById(i.subject_id) || { name: i.subject_id }).name
    : (ctx.machineById(i.subject_id) || { machine: { name: i.subject_id } }).machine.name);
  return el("div", { class: "evidence-block" },
    el("h3", {}, "OEE impact so far"),
    el("table", { class: "table" },
      el("thead", {}, el("tr", {}, ["", "This shift", "Shift before", "Usual"].map((h) => el("th", {}, h)))),
      el("tbody", {}, impacts.map((i) => el("tr", {},
        el("td", {}, `${subject(i)} (${i.scope})`),
        el("td", {}, oeeFigure(i.current)),
        el("td", {}, oeeFigure(i.previous)),
        el("td", {}, oeeFigure(i.normal), el("span", { class: "muted small" }, ` · ${i.normal_days} d`)))))));
}

function staffSnapshot(snapshot, ctx, zone, first) {
  return el("div", { class: "evidence-snapshot" },
    el("p", { class: "evidence-head" },
      el("strong", {}, first ? "Opening warning" : "Joining warning"),
      ` · alert #${snapshot.alert_id} · ${snapshot.rule.replaceAll("_", " ")} · opened ${fmtSiteTime(snapshot.alert_opened_at, zone)} · peak score ${snapshot.peak_score.toFixed(2)}`,
      el("span", { class: "muted small" }, ` · frozen ${fmtSiteTime(snapshot.captured_at, zone)}`)),
    trendGrid(snapshot.trends, snapshot.window_start, snapshot.captured_at, zone),
    shares(snapshot.contributions), outlook(snapshot.outlook),
    alarmsAndStops(snapshot, zone),
    oeeImpact(snapshot.oee, ctx));
}

// "l1-filler: fault 104": the machine's internal id means nothing to the customer.
function withoutMachineId(text, machineId) { return text.replaceAll(`${machineId}: `, ""); }

function customerSnapshot(snapshot, zone, machineId) {
  const events = snapshot.events.map((e) => el("li", {}, el("span", { class: "muted small" }, `${fmtPlantTime(e.start, zone)} `), withoutMachineId(e.text, machineId)));
  return el("div", { class: "evidence-snapshot" },
    el("p", { class: "evidence-head" }, snapshot.summary),
    snapshot.outlook.length ? el("ul", { class: "plain-list" }, snapshot.outlook.map((s) => el("li", {}, s))) : null,
    trendGrid(snapshot.trends, snapshot.window_start, snapshot.captured_at, zone),
    events.length ? el("div", { class: "evidence-block" }, el("h3", {}, "What the machine reported"),
      el("ul", { class: "plain-list" }, events.slice(0, SHOWN_EVENTS)),
      events.length > SHOWN_EVENTS ? el("details", {}, el("summary", {}, `${events.length - SHOWN_EVENTS} earlier`), el("ul", { class: "plain-list" }, events.slice(SHOWN_EVENTS))) : null) : null,
    snapshot.oee.length ? el("div", { class: "evidence-block" }, el("h3", {}, "Effect on your production"),
      el("ul", { class: "plain-list" }, snapshot.oee.map((o) => el("li", {}, o.text)))) : null);
}

// The panel, or null for a ticket no warning opened or joined (a warning may join a
// ticket the desk registered, so every ticket is asked).
export async function evidencePanel(ticket, ctx) {
  const evidence = await apiGet(`/tickets/${ticket.id}/evidence`);
  if (!evidence.snapshots.length) return null;
  const zone = ctx.zoneOfLine(ticket.line_id);
  const customer = evidence.view === "customer";
  return el("section", { class: "card", "aria-labelledby": `evidence-${ticket.id}` },
    el("div", { class: "card-head" },
      el("h2", { class: "card-title", id: `evidence-${ticket.id}` }, customer ? "What our monitoring saw" : "Evidence"),
      el("span", { class: "muted small" }, customer ? "recorded by our remote monitoring" : "frozen when the warning opened or joined the ticket")),
    evidence.snapshots.map((s, i) => {
      const body = customer ? customerSnapshot(s, zone, ticket.machine_id) : staffSnapshot(s, ctx, zone, i === 0);
      // The opening warning in full; those that joined later fold away under a line each.
      if (i === 0) return body;
      const title = customer ? `Later: ${s.summary}` : `Joining warning · ${s.rule.replaceAll("_", " ")} · opened ${fmtSiteTime(s.alert_opened_at, zone)} · peak score ${s.peak_score.toFixed(2)}`;
      return el("details", { class: "evidence-later" }, el("summary", {}, title), body);
    }));
}
