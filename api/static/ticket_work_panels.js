// The panels of the work done on a ticket, in the order the work happens.
// Each returns a section, or null when it has nothing to show for this ticket and role.

export async function workPanels(ticket, ctx, reload) {
  const panels = await Promise.all([]);
  return panels.filter(Boolean);
}
