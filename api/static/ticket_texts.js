// The words the service pages use for the ticket API's codes: one place for the staff's
// terms and one for the customer's plain language (no raw state names, rule names,
// σ or internal alert numbers ever reach a customer).

export const STATUS_LABELS = {
  registered: "Registered",
  classified: "Classified",
  remote_diagnosis: "Remote diagnosis",
  dispatched: "Dispatched",
  en_route: "En route",
  on_site: "On site",
  repaired: "Repaired",
  verified: "Verified",
  signed_off: "Signed off",
  survey: "Survey",
  reviewed: "Reviewed",
  archived: "Archived",
  resolved_remotely: "Resolved remotely",
  waiting_for_parts: "Waiting for parts",
  waiting_for_customer: "Waiting for customer",
  reopened: "Reopened",
  escalated: "Escalated",
  complaint: "Complaint",
};

// Where the work stands, for the colour of the status pill (always with its text).
export const STATUS_STAGE = {
  registered: "new", reopened: "new", escalated: "alarm", complaint: "alarm",
  classified: "work", remote_diagnosis: "work", dispatched: "work", en_route: "work", on_site: "work",
  waiting_for_parts: "wait", waiting_for_customer: "wait",
  repaired: "fixed", resolved_remotely: "fixed", verified: "fixed",
  signed_off: "closing", survey: "closing", reviewed: "closing", archived: "closed",
};

// Tickets still being worked for the customer: the fault is not yet fixed.
export const WORKING_STATES = new Set([
  "registered", "classified", "remote_diagnosis", "dispatched", "en_route", "on_site",
  "waiting_for_parts", "waiting_for_customer", "reopened", "escalated", "complaint",
]);
export const CLOSED_STATES = new Set(["archived"]);

// The button for each move, as the person making it would say it.
export const MOVE_LABELS = {
  classified: "Classify",
  remote_diagnosis: "Start remote diagnosis",
  dispatched: "Dispatch",
  en_route: "On my way",
  on_site: "Arrived on site",
  repaired: "Repaired: line running again",
  resolved_remotely: "Resolved remotely",
  waiting_for_parts: "Wait for parts",
  waiting_for_customer: "Wait for customer",
  escalated: "Escalate",
  verified: "Verified with customer",
  signed_off: "Record customer sign-off",
  reopened: "Reopen",
  survey: "Send survey",
  reviewed: "Mark reviewed",
  archived: "Archive",
  complaint: "Register complaint",
};

// Moves the state machine refuses without a reason (alerts/ticket_lifecycle.py); a
// "classified" from dispatch and an "archived" before the fix need one as well.
export const NEEDS_REASON = new Set(["waiting_for_customer", "escalated", "reopened", "complaint"]);
export function moveNeedsReason(from, to) {
  if (NEEDS_REASON.has(to)) return true;
  if (to === "classified" && ["dispatched", "en_route"].includes(from)) return true;
  if (to === "archived" && ["registered", "classified", "waiting_for_customer"].includes(from)) return true;
  return false;
}
// Side paths, shown apart from the main step forward.
export const SIDE_MOVES = new Set(["archived", "escalated", "complaint", "reopened", "waiting_for_customer", "waiting_for_parts"]);

// Back to the desk from a dispatch is a side path too, and says what it does.
const TAKEN_BACK = new Set(["dispatched", "en_route"]);
export function isSideMove(from, to) { return SIDE_MOVES.has(to) || (to === "classified" && TAKEN_BACK.has(from)); }
export function moveLabel(from, to) {
  if (to === "classified" && TAKEN_BACK.has(from)) return "Take back to the desk";
  return label(MOVE_LABELS, to);
}

export const TYPE_LABELS = {
  emergency_repair: "Emergency repair",
  general_fault: "General fault",
  preventive_maintenance: "Preventive maintenance",
  consultation: "Technical consultation",
  spare_part: "Spare part replacement",
  installation: "Installation / commissioning",
  upgrade: "Upgrade / retrofit",
  training: "Training",
  complaint: "Complaint",
};

export const CHANNEL_LABELS = {
  hotline: "Hotline",
  email: "E-mail",
  web_portal: "Web portal",
  messaging: "Messaging app",
  automatic_warning: "Automatic warning",
  maintenance_plan: "Maintenance plan",
};

export const SEVERITY_LABELS = { minor: "Minor", general: "General", serious: "Serious", major: "Major" };
export const SEVERITY_RANK = { major: 4, serious: 3, general: 2, minor: 1 };

export const CLOCK_LABELS = { response: "Response", arrival: "Engineer on site", resolution: "Resolution" };

// An audit entry's kind as a heading in the timeline.
export const EVENT_LABELS = {
  registered: "Registered",
  confirmation: "Confirmation sent",
  transition: "Status changed",
  regraded: "Severity changed",
  escalated: "Escalated",
  change_approval: "Change approval",
  warranty_override: "Warranty overridden",
  machine_stop: "Machine stopped",
  machine_running: "Machine running again",
  alert_joined: "Another warning joined",
  alert_worsened: "Warning worsened",
  alert_recovered: "Warning recovered",
  alert_reopened: "Warning returned",
  forecast_cleared: "Forecast cleared",
  change_flag: "Change flagged",
  sla_warning: "SLA warning (80 % of the time used)",
  sla_breach: "SLA breached",
  owner: "Owner assigned",
  dispatch: "Dispatched to an engineer",
  accepted: "Job accepted",
  service_report: "Service report filed",
  sign_off_requested: "Sign-off requested",
  complaint: "Complaint",
  survey: "Survey answered",
  callback: "Callback recorded",
  rca: "Root cause analysis",
  baseline_reset_requested: "Detector asked to learn a new baseline",
};

export function label(table, code) {
  if (code === null || code === undefined) return "—";
  return table[code] || String(code).replaceAll("_", " ");
}

// ---------- the customer's words ----------

const CUSTOMER_STATUS = {
  registered: "We have received your request",
  classified: "We are looking into it",
  remote_diagnosis: "Our support engineers are examining your line remotely",
  dispatched: "An engineer has been assigned",
  en_route: "We are on the way",
  on_site: "Our engineer is with you",
  repaired: "Repaired: we will confirm with you",
  resolved_remotely: "Solved remotely: we will confirm with you",
  verified: "Waiting for your sign-off",
  signed_off: "Signed off: thank you",
  survey: "Tell us how we did",
  reviewed: "Closed",
  archived: "Closed",
  waiting_for_parts: "Waiting for spare parts",
  waiting_for_customer: "Waiting for information from you",
  reopened: "Reopened: we are on it again",
  escalated: "Our specialists have taken over",
  complaint: "We are handling your complaint",
};

export function customerStatus(status) { return CUSTOMER_STATUS[status] || "In progress"; }

// What the customer should do now, if anything; `surveyAnswered`: they already did the survey.
export function customerAction(status, surveyAnswered = false) {
  if (status === "verified") return "Please check the service report and sign it off, or tell us what is still wrong.";
  if ((status === "survey" || status === "signed_off") && !surveyAnswered) return "Please answer our short survey: it takes a minute.";
  if (status === "waiting_for_customer") return "We need something from you: the service desk will call, or call us.";
  return null;
}

const CUSTOMER_CLOCKS = {
  response: "We answer by",
  arrival: "Engineer with you by",
  resolution: "Fixed by",
};
export function customerClockLabel(kind) { return CUSTOMER_CLOCKS[kind] || kind; }

export const CUSTOMER_CHANNELS = {
  hotline: "Phone call",
  email: "E-mail",
  web_portal: "Your request in the portal",
  messaging: "Message",
  automatic_warning: "Our remote monitoring",
  maintenance_plan: "Your maintenance plan",
};

// A server sentence with state codes in it ("the ticket is signed_off") in words.
export function humanize(text) {
  return String(text).replace(/\b[a-z]+(?:_[a-z]+)+\b/g, (code) => (STATUS_LABELS[code] ? STATUS_LABELS[code].toLowerCase() : code.replaceAll("_", " ")));
}
