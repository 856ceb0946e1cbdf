// The portfolio keeps itself current: every half minute (while the tab is visible) it reads the
// same page again and swaps in the fresh table, so numbers follow the maps and the survey data
// without a reload. The server renders (and escapes) the rows; nothing is built from JSON here.

const results = document.querySelector("[data-portfolio-results]");
const status = document.querySelector("[data-refreshed]");
const seconds = Number(results?.dataset.refreshSeconds || 30);

async function refresh() {
  try {
    const response = await fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.querySelector("[data-portfolio-results]");
    if (!fresh) return;
    results.replaceChildren(...[...fresh.childNodes].map((node) => document.importNode(node, true)));
    results.dataset.refreshes = Number(results.dataset.refreshes || 0) + 1;
    if (status) status.textContent = `Refreshed every ${seconds} seconds · last at ${new Date().toLocaleTimeString()}.`;
  } catch { /* offline: the next round tries again */ }
}

// Here, not in an onclick attribute: the Content-Security-Policy runs no inline script.
document.querySelector('[data-action="print"]')?.addEventListener("click", () => window.print());

if (results) {
  setInterval(() => { if (document.visibilityState === "visible") refresh(); }, seconds * 1000);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") refresh(); });
  // Tools (and tests) can ask for a refresh now rather than wait for the next round.
  document.addEventListener("portfolio:refresh", refresh);
}
