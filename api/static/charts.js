// SVG charts: the trend chart (min–max band and average line) and the score sparkline.

import { el, fmtNumber, svg } from "./dom.js";
import { fmtPlantTime, timeTicks } from "./plant_time.js";

// A gap this many sampling steps wide breaks the line: no straight stroke across missing data.
const GAP_STEPS = 5;

function niceTicks(min, max, count) {
  const span = max - min || 1;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const factor = [1, 2, 2.5, 5, 10].find((m) => m * mag >= step0);
  const step = factor * mag;
  const digits = Math.max(0, -Math.round(Math.log10(mag)) + (factor === 2.5 ? 1 : 0));
  const ticks = [];
  // Rounded to the step's decimals and "+ 0", so float noise never prints as "-0" or "0.30000000000000004".
  for (let i = Math.ceil(min / step); i * step <= max + step * 1e-9; i += 1) ticks.push(Number((i * step).toFixed(digits)) + 0);
  return { ticks, digits };
}

// The sampling step: the bucket width, or the typical distance between raw samples.
function samplingStep(trend, times) {
  if (trend.bucket_s) return trend.bucket_s * 1000;
  const gaps = times.slice(1).map((t, i) => t - times[i]).sort((a, b) => a - b);
  return gaps.length ? gaps[Math.floor(gaps.length / 2)] : 0;
}

// Runs of points without a gap between them, as lists of indexes.
function segments(times, step) {
  const runs = [];
  let run = [];
  times.forEach((t, i) => {
    if (run.length && step > 0 && t - times[i - 1] > GAP_STEPS * step) { runs.push(run); run = []; }
    run.push(i);
  });
  if (run.length) runs.push(run);
  return runs;
}

// `zone`: the site's time zone, in which the time axis and the tooltip read.
export function drawChart(box, trend, zone) {
  const width = Math.max(300, box.clientWidth);
  const height = box.clientHeight || 240;
  const pad = { left: 52, right: 14, top: 12, bottom: 26 };
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}` });
  const points = trend.points;
  if (!points.length) {
    const text = svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle", fill: "#6b7687" });
    text.textContent = "No data in this range";
    root.append(text);
    return root;
  }
  const t0 = new Date(trend.since).getTime();
  const t1 = new Date(trend.until).getTime();
  let lo = Math.min(...points.map((p) => p.min));
  let hi = Math.max(...points.map((p) => p.max));
  if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
  const margin = (hi - lo) * 0.08;
  lo -= margin; hi += margin;
  const x = (t) => pad.left + ((t - t0) / (t1 - t0 || 1)) * (width - pad.left - pad.right);
  const y = (v) => pad.top + (1 - (v - lo) / (hi - lo)) * (height - pad.top - pad.bottom);

  const grid = svg("g", { class: "grid" });
  const axis = svg("g", { class: "axis" });
  const yTicks = niceTicks(lo, hi, 5);
  for (const tick of yTicks.ticks) {
    grid.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y(tick), y2: y(tick) }));
    const label = svg("text", { x: pad.left - 6, y: y(tick) + 4, "text-anchor": "end" });
    label.textContent = fmtNumber(tick, yTicks.digits);
    axis.append(label);
  }
  // As many time labels as fit: about one per 90 px, at most 8.
  for (const tick of timeTicks(t0, t1, zone, Math.max(3, Math.min(8, Math.floor(width / 90))))) {
    grid.append(svg("line", { x1: x(tick.t), x2: x(tick.t), y1: pad.top, y2: height - pad.bottom }));
    // Labels near an edge hang inwards, so "Sun, Nov 22" is not cut off.
    const room = tick.label.length * 3.5;
    const anchor = x(tick.t) - room < pad.left - 20 ? "start" : x(tick.t) + room > width ? "end" : "middle";
    const label = svg("text", { x: x(tick.t), y: height - 8, "text-anchor": anchor });
    label.textContent = tick.label;
    axis.append(label);
  }
  root.append(grid, axis);

  const times = points.map((p) => new Date(p.time).getTime());
  for (const run of segments(times, samplingStep(trend, times))) {
    if (trend.bucket_s && run.length > 1) {
      const upper = run.map((i, k) => `${k ? "L" : "M"}${x(times[i])},${y(points[i].max)}`).join("");
      const lower = run.map((i) => `L${x(times[i])},${y(points[i].min)}`).reverse().join("");
      root.append(svg("path", { class: "band", d: `${upper}${lower}Z` }));
    }
    if (run.length === 1) {
      const [i] = run;
      root.append(svg("circle", { class: "lone", cx: x(times[i]), cy: y(points[i].value), r: 2 }));
    } else {
      const d = run.map((i, k) => `${k ? "L" : "M"}${x(times[i])},${y(points[i].value)}`).join("");
      root.append(svg("path", { class: "series", d }));
    }
  }

  const cursor = svg("line", { class: "cursor", y1: pad.top, y2: height - pad.bottom, visibility: "hidden" });
  root.append(cursor);
  const tip = el("div", { class: "tip", hidden: true });
  root.addEventListener("mousemove", (event) => {
    const rect = root.getBoundingClientRect();
    const px = ((event.clientX - rect.left) / rect.width) * width;
    const t = t0 + ((px - pad.left) / (width - pad.left - pad.right)) * (t1 - t0);
    let best = 0;
    for (let i = 1; i < times.length; i += 1) if (Math.abs(times[i] - t) < Math.abs(times[best] - t)) best = i;
    const p = points[best];
    cursor.setAttribute("x1", x(times[best]));
    cursor.setAttribute("x2", x(times[best]));
    cursor.setAttribute("visibility", "visible");
    tip.hidden = false;
    tip.textContent = `${fmtPlantTime(p.time, zone, { seconds: !trend.bucket_s })} · ${fmtNumber(p.value)} ${trend.unit}`;
    tip.style.left = `${Math.min(rect.width - 180, Math.max(0, (x(times[best]) / width) * rect.width + 8))}px`;
  });
  root.addEventListener("mouseleave", () => { cursor.setAttribute("visibility", "hidden"); tip.hidden = true; });
  const wrap = el("div", { style: "position: relative; width: 100%; height: 100%" });
  wrap.append(root, tip);
  return wrap;
}

// `limit` draws a dashed line at that value: the alert threshold of the score.
export function sparkline(values, limit) {
  const root = svg("svg", { class: "spark", viewBox: "0 0 300 70", preserveAspectRatio: "none" });
  if (values.length < 2) return root;
  const max = Math.max(...values, limit * 1.2);
  const limitY = 66 - (limit / max) * 60;
  root.append(svg("line", { x1: 0, x2: 300, y1: limitY, y2: limitY, class: "limit", "vector-effect": "non-scaling-stroke" }));
  const d = values.map((v, i) => `${i ? "L" : "M"}${(i / (values.length - 1)) * 300},${66 - (v / max) * 60}`).join("");
  root.append(svg("path", { d, "vector-effect": "non-scaling-stroke" }));
  return root;
}
