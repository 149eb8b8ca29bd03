// Signal names as people read them: "vibration_rms" → "Vibration RMS".
// The plant file's names stay what the API and the backend texts use; only the console
// shows them this way, the same on every card.

const KNOWN = {
  state: "State",
  fault_code: "Fault code",
  good_count: "Good count",
  reject_count: "Reject count",
  product: "Product",
  speed: "Speed",
  vibration_rms: "Vibration RMS",
  bearing_temp: "Bearing temperature",
  motor_current: "Motor current",
};

const ACRONYMS = new Set(["rms", "rpm", "plc", "id", "ac", "dc", "co2", "ph", "uv"]);
const WORDS = { temp: "temperature", pct: "%", qty: "quantity" };

export function signalLabel(name) {
  if (KNOWN[name]) return KNOWN[name];
  const words = name.split(/[_\s]+/).filter(Boolean).map((word) => {
    const lower = word.toLowerCase();
    if (ACRONYMS.has(lower)) return lower.toUpperCase();
    return WORDS[lower] || lower;
  });
  const text = words.join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}
