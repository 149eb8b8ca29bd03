// The top bar every console page shares, built here once instead of copied into each page:
// a skip link, the brand, the page links for the signed-in role, the page's own status
// (a clock, "as of ..."), who is signed in (name, role in words, the customer) and Sign out.
//
// A page's HTML holds only `<header class="topbar">`, with its status elements inside
// (e.g. `<span id="as-of" class="clock-zone"></span>`); importing this module fills in the
// rest. Page modules import it before they run, so the ids below (#topnav, #user-chip,
// #sign-out) exist by the time a page looks for them. No build step and nothing inline:
// the Content-Security-Policy's script-src 'self' is all this needs.

import { $, el } from "./dom.js";
import { showSignOut } from "./api_client.js";
import { pageLinks, renderNav } from "./page_nav.js";

// The roles of models/users.py as people say them; a role not listed shows its code.
const ROLE_NAMES = {
  admin: "Administrator",
  desk: "Service desk",
  support: "Technical support",
  field_engineer: "Field engineer",
  parts_manager: "Parts manager",
  customer: "Customer",
};

// Who showSignedIn was last told about: a refusal links to that person's start page.
let signedIn = null;

export function roleName(role) { return ROLE_NAMES[role] || role; }

// The main region showing now (the index page has two, one of them hidden).
function shownMain() {
  return document.querySelector("main:not([hidden])") || document.querySelector("main");
}

function skipLink() {
  const link = el("a", { class: "skip-link", href: "#" }, "Skip to content");
  const aim = () => {
    const main = shownMain();
    if (main && main.id) link.setAttribute("href", `#${main.id}`);
    return main;
  };
  link.addEventListener("focus", aim);
  link.addEventListener("click", (event) => {
    const main = aim();
    if (!main) return;
    event.preventDefault();
    if (!main.hasAttribute("tabindex")) main.setAttribute("tabindex", "-1");
    main.focus();
  });
  aim();
  return link;
}

// Fills the page's <header class="topbar">; the elements the page put in it stay, on the
// right, before the user chip.
export function buildTopBar(header) {
  if (!header || header.dataset.built) return;
  const status = [...header.childNodes];
  header.replaceChildren(
    el("a", { class: "brand brand-link", href: "/" },
      el("span", { class: "brand-mark", "aria-hidden": "true" }),
      el("span", { class: "brand-name" }, "LineCare")),
    el("nav", { class: "topnav", id: "topnav", "aria-label": "Pages", hidden: true }),
    el("div", { class: "topbar-right" },
      el("div", { class: "topbar-who" },
        ...status,
        el("span", { id: "user-chip", class: "user-chip", hidden: true })),
      el("button", { id: "sign-out", class: "btn btn-ghost", type: "button", hidden: true }, "Sign out")));
  header.before(skipLink());
  header.dataset.built = "1";
  fitOnOneRow(header);
}

// The page links go on a row of their own when they do not fit beside the brand and the
// user (an administrator's ten links on a laptop), rather than squeezing the user's name.
function fitOnOneRow(header) {
  const nav = header.querySelector(".topnav");
  const measure = () => {
    header.classList.remove("topbar-two-rows");
    if (nav.hidden) return;
    if (nav.scrollWidth > nav.clientWidth + 1) header.classList.add("topbar-two-rows");
  };
  window.addEventListener("resize", measure);
  new MutationObserver(measure).observe(header, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ["hidden"] });
}

// Fills #topnav, #user-chip and shows #sign-out.
export function showSignedIn(me) {
  signedIn = me;
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

// A page this user may not see: the page's content goes, a card says why and links to the
// user's own start page; the top bar stays.
export function showRefusal(message) {
  const shown = $("refused");
  if (shown) shown.remove();
  for (const main of document.querySelectorAll("main")) main.hidden = true;
  const [href, text] = (signedIn && pageLinks(signedIn)[0]) || ["/", "the start page"];
  const card = el("main", { id: "refused", class: "sign-in" },
    el("div", { class: "card sign-in-card" },
      el("h1", {}, "Not available"),
      el("p", { id: "refused-message", class: "muted" }, message),
      el("a", { class: "btn btn-primary btn-block", href }, `Go to ${text}`)));
  const header = document.querySelector("header.topbar");
  if (header) header.after(card); else document.body.prepend(card);
}

buildTopBar(document.querySelector("header.topbar"));
