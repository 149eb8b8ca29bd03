// DOM building and number formatting shared by the console's and the report's modules.
// Times are formatted in plant_time.js, in the site's zone.
// Strings always enter the page as text nodes, never as HTML.

export const SVG_NS = "http://www.w3.org/2000/svg";

export function $(id) { return document.getElementById(id); }

export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    // Through the CSSOM: the Content-Security-Policy refuses inline style attributes.
    else if (key === "style") node.style.cssText = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function svg(tag, attrs) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  return node;
}

export function fmtNumber(value, digits) {
  if (value === null || value === undefined) return "—";
  const abs = Math.abs(value);
  const d = digits ?? (abs >= 1000 ? 0 : abs >= 100 ? 1 : 2);
  return value.toLocaleString(undefined, { minimumFractionDigits: 0, maximumFractionDigits: d });
}

export function fmtPct(value) { return value === null || value === undefined ? "—" : `${(value * 100).toFixed(1)} %`; }

// Replace a node's children, skipping the empty ones (a panel with nothing to show is null).
export function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

// A form field with text in it, or the focus in one: a refresh must not wipe it.
export function userIsEditing(root) {
  if (root.querySelector("[data-dirty]")) return true;
  const active = document.activeElement;
  return Boolean(active && root.contains(active) && ["TEXTAREA", "INPUT", "SELECT"].includes(active.tagName) && active.type !== "checkbox");
}

// Which folded sections are open, by their summary, so a refresh can open them again.
export function openSections(root) {
  return new Set([...root.querySelectorAll("details[open] > summary")].map((s) => s.textContent));
}

export function reopenSections(root, open) {
  for (const summary of root.querySelectorAll("details > summary")) {
    if (open.has(summary.textContent)) summary.parentElement.open = true;
  }
}
