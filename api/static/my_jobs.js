// The field engineer's jobs, made for a phone.

import { el } from "./dom.js";

export async function mountMyJobs(root, ctx) {
  root.replaceChildren(el("h1", {}, "My jobs"));
  return { refresh: async () => ctx.refreshed() };
}
