// Plant time: instants shown in the time zone of the line's site, never the browser's.
// A support engineer in one country and a plant manager in another read the same shift
// times, and "22:00" means the start of the night shift at that plant.

const MINUTE = 60000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const formats = new Map();

// Intl formatters are costly to build and the console formats hundreds of times a refresh.
function formatter(zone, options) {
  const key = `${zone}|${JSON.stringify(options)}`;
  if (!formats.has(key)) {
    formats.set(key, new Intl.DateTimeFormat(undefined, { timeZone: zone, hourCycle: "h23", ...options }));
  }
  return formats.get(key);
}

// ISO dates and the 24 h clock, whatever the browser's locale: "2026-12-06 14:30".
// `date`: with the date; `seconds`: with seconds (for values that change by the second).
export function fmtPlantTime(iso, zone, { date = true, seconds = false } = {}) {
  if (!iso) return "—";
  const p = Object.fromEntries(formatter(zone, {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(iso)).map((part) => [part.type, part.value]));
  const time = `${p.hour % 24 === 0 ? "00" : p.hour}:${p.minute}${seconds ? `:${p.second}` : ""}`;
  return date ? `${p.year}-${p.month}-${p.day} ${time}` : time;
}

// A time with its zone named, as every service page shows one: "2026-12-06 14:30 CET".
export function fmtSiteTime(iso, zone, options) {
  if (!iso) return "—";
  return `${fmtPlantTime(iso, zone, options)} ${zoneAbbreviation(zone, iso)}`;
}

// A date alone, in the site's zone: "2026-12-06".
export function fmtSiteDate(iso, zone) {
  return iso ? fmtPlantTime(iso, zone).slice(0, 10) : "—";
}

// The zone's abbreviation at that instant ("CET", "CEST"), or its UTC offset ("UTC+5:30")
// where the zone has no abbreviation in English.
export function zoneAbbreviation(zone, iso) {
  const at = iso ? new Date(iso) : new Date();
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone: zone, timeZoneName: "short" }).formatToParts(at);
  const name = (parts.find((p) => p.type === "timeZoneName") || {}).value || zone;
  return name.startsWith("GMT") ? name.replace("GMT", "UTC") : name;
}

// How far the zone's wall clock is ahead of UTC at that instant, in milliseconds.
export function zoneOffsetMs(utcMs, zone) {
  const parts = Object.fromEntries(formatter(zone, {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(utcMs)).map((p) => [p.type, p.value]));
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour % 24, parts.minute, parts.second);
  return wall - Math.floor(utcMs / 1000) * 1000;
}

const TICK_STEPS = [
  10000, 15000, 30000, MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE,
  HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY,
];

// Time axis ticks on round plant-clock times (every 10 min, every 3 h, at midnight...),
// at most `count` of them, each with its label: seconds only where ticks are under a
// minute apart, the date at midnight and where ticks are days apart.
export function timeTicks(t0, t1, zone, count) {
  const span = Math.max(1, t1 - t0);
  const step = TICK_STEPS.find((s) => span / s <= count) || TICK_STEPS[TICK_STEPS.length - 1];
  const offset0 = zoneOffsetMs(t0, zone);
  const ticks = [];
  for (let local = Math.ceil((t0 + offset0) / step) * step; ; local += step) {
    const t = local - zoneOffsetMs(local - offset0, zone);
    if (t > t1) break;
    if (t >= t0) ticks.push(t);
  }
  return ticks.map((t) => {
    const midnight = (t + zoneOffsetMs(t, zone)) % DAY === 0;
    let label;
    if (step >= DAY) label = formatter(zone, { weekday: "short", day: "numeric", month: "short" }).format(t);
    else if (midnight) label = formatter(zone, { day: "numeric", month: "short" }).format(t);
    else label = fmtPlantTime(new Date(t).toISOString(), zone, { date: false, seconds: step < MINUTE });
    return { t, label };
  });
}

// "just now", "12 s ago", "3 min ago": how old a wall-clock moment is.
export function fmtAgo(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 3) return "just now";
  if (s < 90) return `${s} s ago`;
  return `${Math.round(s / 60)} min ago`;
}

// "2026-12-06 14:30" read on the site's wall clock, as an ISO instant; null if it is no
// such time. Typed, not picked: a browser's date picker speaks the browser's locale.
export function parseSiteTime(text, zone) {
  const match = String(text).trim().match(/^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})$/);
  if (!match) return null;
  const [year, month, day, hour, minute] = match.slice(1).map(Number);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59) return null;
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const guess = wall - zoneOffsetMs(wall, zone);
  const utc = wall - zoneOffsetMs(guess, zone);
  return new Date(utc).toISOString();
}
