// Numbers as the dashboard shows them: signed NPS, CSAT %, CES with two decimals, and "—".

export const dash = "—";
export const signed = (value, digits = 0) => value === null || value === undefined ? dash : `${value > 0 ? "+" : ""}${value.toFixed(digits)}`;
export const percent = (value) => value === null || value === undefined ? dash : `${value.toFixed(0)}%`;
export const fixed = (value, digits = 2) => value === null || value === undefined ? dash : value.toFixed(digits);
export const margin = (value, digits = 0) => value === null || value === undefined ? "" : ` ± ${value.toFixed(digits)}`;

export const SCORE_TEXT = {
  nps: (m) => signed(m.nps),
  csat: (m) => percent(m.csat),
  ces: (m) => fixed(m.ces),
};

/** ▲ / ▼ with the change; for CES a fall is good news. */
export function trendText(score, delta) {
  if (delta === null || delta === undefined) return { text: "", mood: "" };
  const arrow = delta > 0 ? "▲" : delta < 0 ? "▼" : "=";
  const better = score === "ces" ? delta < 0 : delta > 0;
  const digits = score === "ces" ? 2 : 0;
  return { text: `${arrow} ${Math.abs(delta).toFixed(digits)}`, mood: delta === 0 ? "" : better ? "up" : "down" };
}
