// The top bar every console page shares: the page links for the signed-in role, who is
// signed in (name, role in words, the customer), and Sign out.

import { $, el } from "./dom.js";
import { showSignOut } from "./api_client.js";
import { renderNav } from "./page_nav.js";

// The roles of models/users.py as people say them; a role not listed shows its code.
const ROLE_NAMES = {
  admin: "Administrator",
  desk: "Service desk",
  support: "Technical support",
  field_engineer: "Field engineer",
  parts_manager: "Parts manager",
  customer: "Customer",
};

export function roleName(role) { return ROLE_NAMES[role] || role; }

// Fills the page's #topnav (if it has one), #user-chip and shows #sign-out.
export function showSignedIn(me) {
  const nav = $("topnav");
  if (nav) renderNav(nav, me);
  const chip = $("user-chip");
  if (chip) {
    // A customer's company says more than the word "Customer", and keeps the chip short.
    const role = me.customer_name || roleName(me.role);
    chip.replaceChildren(
      el("span", { class: "user-name" }, me.display_name),
      el("span", { class: "user-role" }, role));
    chip.title = `Signed in as ${me.login} (${roleName(me.role)}${me.customer_name ? `, ${me.customer_name}` : ""})`;
    chip.hidden = false;
  }
  showSignOut();
}
