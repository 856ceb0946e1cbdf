// A journey's dashboard: draws the data the page was served with, then keeps it current.
// Where the data and the live channel come from is read from the root element's
// data-attributes, so a share-link page can point them elsewhere (or go without live).

import { h } from "../editor/dom.js";
import { Charts } from "./charts.js";
import { dash, fixed, margin, percent, SCORE_TEXT, signed, trendText } from "./format.js";
import { DashboardLive } from "./live.js";

const root = document.querySelector("[data-dashboard]");
const config = root.dataset;
let data = JSON.parse(document.getElementById("dashboard-data").textContent);
const connection = root.querySelector("[data-connection]");

const opportunityLink = (o) => (config.opportunityUrl ? config.opportunityUrl.replace("{id}", String(o.id)) : null);
const charts = new Charts(root, {
  onOpportunity: (o) => { const url = opportunityLink(o); if (url) location.assign(url); },
});

// --- Headline numbers ---------------------------------------------------------------------

function tile({ key, label, value, hint, extra = [] }) {
  return h("div", { class: "kpi", dataset: { kpi: key }, title: hint },
    h("div", { class: "kpi-label", text: label }),
    h("div", { class: "kpi-value", dataset: { value: key }, text: value }),
    ...extra);
}

function scoreTile(score, label, hint, digits) {
  const m = data.metrics;
  const trend = data.trend[score];
  const t = trendText(score, trend.delta);
  const prev = trend.previous === null ? "no answers" : `${SCORE_TEXT[score]({ [score]: trend.previous })}, n = ${trend.previous_n}`;
  return tile({
    key: score, label, value: SCORE_TEXT[score](m),
    hint: `${hint}. 95% margin of error${margin(m[`${score}_margin`], digits) || ": too few answers"}.`,
    extra: [
      h("div", { class: "kpi-n", text: `n = ${m[`${score}_count`]}${margin(m[`${score}_margin`], digits)}` }),
      t.text ? h("div", { class: `trend ${t.mood}`, dataset: { trend: score }, title: `Change against the previous window (${prev})`, text: t.text })
        : h("div", { class: "trend muted", title: "No previous window to compare with (all time), or no answers in it", text: "no trend" }),
    ],
  });
}

function drawKpis() {
  const health = data.health;
  const byStatus = data.opportunities_by_status;
  const overdue = data.opportunities.filter((o) => o.overdue).length;
  root.querySelector("[data-kpis]").replaceChildren(
    tile({
      key: "health", label: "Health", value: health.score === null ? dash : `${health.score}`,
      hint: "0–100: a weighted mean of the components below (see How is the health score computed?)",
      extra: [h("div", { class: "kpi-n", text: `of 100 · ${health.components.filter((c) => c.value !== null).length} of ${health.components.length} components` })],
    }),
    scoreTile("nps", "NPS", "Net Promoter Score, −100…+100: % promoters (9–10) − % detractors (0–6)", 0),
    scoreTile("csat", "CSAT", "Customer satisfaction: % answering 4 or 5 of 5", 0),
    scoreTile("ces", "CES", "Customer effort score, 1 (easy) … 7 (hard): lower is better", 2),
    tile({
      key: "emotion", label: "Emotion team / VoC", value: `${signed(data.team_emotion, 1)} / ${signed(data.voc_emotion, 1)}`,
      hint: "Average emotion over the phases, −3…+3: the team's estimate and the customers' (from the window's responses)",
      extra: [h("div", { class: "kpi-n", text: `${data.phases.filter((p) => p.voc_emotion !== null).length} of ${data.phases.length} phases measured` })],
    }),
    tile({ key: "pain_points", label: "Pain points", value: String(data.pain_points), hint: "Cards in the map's pain-point lanes" }),
    tile({
      key: "opportunities", label: "Opportunities", value: String(data.opportunities.length),
      hint: "Opportunities on the map by status",
      extra: [h("div", { class: "kpi-n status-counts" }, ...Object.entries(byStatus).map(([status, count]) =>
        h("span", { class: `badge opp-${status}`, dataset: { status }, title: status.replace("_", " "), text: `${count} ${status.replace("_", " ")}` }))),
      overdue ? h("div", { class: "trend down", text: `${overdue} overdue` }) : null],
    }),
    tile({
      key: "moments", label: "Moments below target", value: `${data.moments.below_target} of ${data.moments.total}`,
      hint: `Moments that matter (★) whose NPS in the window is below ${data.moment_nps_target}; ${data.moments.without_answers} have no answers`,
      extra: [h("div", { class: "kpi-n", text: `target NPS ≥ ${data.moment_nps_target}` })],
    }),
  );
}

// --- Tables -------------------------------------------------------------------------------

const scoreCells = (m) => [
  h("td", { class: "num", dataset: { metric: "nps" }, text: `${signed(m.nps)}${margin(m.nps_margin)}` }),
  h("td", { class: "num muted", text: String(m.nps_count) }),
  h("td", { class: "num", dataset: { metric: "csat" }, text: `${percent(m.csat)}${margin(m.csat_margin)}` }),
  h("td", { class: "num muted", text: String(m.csat_count) }),
  h("td", { class: "num", dataset: { metric: "ces" }, text: `${fixed(m.ces)}${margin(m.ces_margin, 2)}` }),
  h("td", { class: "num muted", text: String(m.ces_count) }),
  h("td", { class: "num", title: "Mean comment sentiment, −1…+1", text: `${fixed(m.sentiment)}` }),
];

function drawMetrics() {
  const head = h("thead", {}, h("tr", {}, ...["Phase / touchpoint", "NPS ± 95%", "n", "CSAT ± 95%", "n", "CES ± 95%", "n", "Sentiment"].map((text) => h("th", { scope: "col", text }))));
  const body = h("tbody");
  for (const phase of data.phases) {
    body.append(h("tr", { class: "phase-row", dataset: { phase: phase.id } }, h("th", { scope: "row", text: phase.name }), ...scoreCells(phase.metrics)));
    for (const t of data.touchpoints.filter((t) => t.phase === phase.id)) {
      body.append(h("tr", { class: t.below_target ? "below-target" : "", dataset: { touchpoint: t.id } },
        h("td", { class: "indent" }, t.is_moment_that_matters ? h("span", { title: "Moment that matters", text: "★ " }) : null, t.name,
          h("span", { class: "muted small", text: ` · ${t.channel}` }),
          t.below_target ? h("span", { class: "badge warn", text: "below target" }) : null),
        ...scoreCells(t.metrics)));
    }
  }
  body.append(h("tr", { class: "total-row" }, h("th", { scope: "row", text: "Whole journey" }), ...scoreCells(data.metrics)));
  root.querySelector('[data-table="metrics"]').replaceChildren(h("caption", { class: "visually-hidden", text: "NPS, CSAT and CES per phase and touchpoint" }), head, body);
  const box = root.querySelector('[data-chart="touchpoints"]').parentElement;
  box.style.height = `${Math.max(160, 28 * data.touchpoints.length + 60)}px`;
}

function opportunityTitle(o) {
  const url = opportunityLink(o);
  return url ? h("a", { href: url, text: o.title }) : o.title;
}

function drawMatrixTable() {
  const head = h("thead", {}, h("tr", {}, ...["Opportunity", "Impact", "Effort", "Priority", "Status"].map((text) => h("th", { scope: "col", text }))));
  const body = h("tbody", {}, ...data.opportunities.map((o) => h("tr", { dataset: { opportunity: o.id } },
    h("td", {}, opportunityTitle(o)),
    h("td", { class: "num", text: String(o.impact) }), h("td", { class: "num", text: String(o.effort) }),
    h("td", { class: "num", text: `${o.priority}/25` }),
    h("td", {}, h("span", { class: `badge opp-${o.status}`, dataset: { status: o.status }, text: o.status_label })))));
  root.querySelector('[data-table="matrix"]').replaceChildren(h("caption", { class: "visually-hidden", text: "Opportunities by impact and effort" }), head, body);
}

function drawPlans() {
  const head = h("thead", {}, h("tr", {}, ...["Opportunity", "Phase", "Owner", "Due", "KPI", "Target", "Status"].map((text) => h("th", { scope: "col", text }))));
  const body = h("tbody", {}, ...data.opportunities.map((o) => h("tr", { class: o.overdue ? "overdue" : "", dataset: { opportunity: o.id } },
    h("td", {}, opportunityTitle(o)),
    h("td", { text: o.phase_name + (o.touchpoint_name ? ` · ${o.touchpoint_name}` : "") }),
    h("td", { text: o.owner || "Nobody yet" }),
    h("td", {}, o.due_date ? h("time", { datetime: o.due_date, text: o.due_date }) : dash,
      o.overdue ? h("span", { class: "badge danger", title: "Past its due date and not done", text: "overdue" }) : null),
    h("td", { text: o.kpi || dash }), h("td", { text: o.target || dash }),
    h("td", {}, h("span", { class: `badge opp-${o.status}`, dataset: { status: o.status }, text: o.status_label })))));
  root.querySelector('[data-table="plans"]').replaceChildren(h("caption", { class: "visually-hidden", text: "Action plans" }), head, body);
}

function drawComments() {
  const list = root.querySelector("[data-comments]");
  if (!list) return; // a shared dashboard shows no comments
  if (!data.comments.length) { list.replaceChildren(h("li", { class: "muted", text: "No negative comments in this window." })); return; }
  list.replaceChildren(...data.comments.map((c) => h("li", { dataset: { response: c.id } },
    h("blockquote", { text: c.comment }), // text, never HTML: customers wrote it
    h("div", { class: "small muted" },
      `${c.touchpoint_name} · `, h("time", { datetime: c.submitted_at, text: c.submitted_at.slice(0, 10) }),
      ` · sentiment ${fixed(c.sentiment)}`, c.nps !== null ? ` · NPS answer ${c.nps}/10` : "",
      c.csat !== null ? ` · CSAT ${c.csat}/5` : "", c.ces !== null ? ` · CES ${c.ces}/7` : ""))));
}

function drawHealth() {
  const health = data.health;
  const body = h("tbody", {}, ...health.components.map((c) => h("tr", { class: c.value === null ? "muted" : "", dataset: { component: c.key } },
    h("th", { scope: "row", text: c.label }),
    h("td", { class: "num", text: c.value === null ? "left out" : c.value.toFixed(0) }),
    h("td", { class: "num", text: String(c.weight) }),
    h("td", { class: "num", text: c.value === null ? "0" : `${c.effective_weight.toFixed(1)}%` }),
    h("td", { text: `${c.basis} (n = ${c.n})` }))));
  root.querySelector("[data-health-detail]").replaceChildren(
    h("p", {}, "This journey: ", h("strong", { dataset: { healthScore: health.score ?? "" }, text: health.score === null ? "no score (no data)" : `${health.score} / 100` }),
      health.weight_used < 100 && health.score !== null ? ` — components without data are left out; the other weights are renormalised from ${health.weight_used} to 100.` : ""),
    h("table", { class: "list compact" },
      h("thead", {}, h("tr", {}, ...["Component", "Value 0–100", "Weight", "Weight used", "From"].map((text) => h("th", { scope: "col", text })))), body));
}

function drawHeader() {
  const persona = data.journey.persona;
  root.querySelector('[data-field="persona"]').textContent = persona ? persona.name : "No persona";
  const status = root.querySelector('[data-field="status"]');
  status.textContent = data.journey.status_label;
  status.className = `badge status-${data.journey.status}`;
  root.querySelector('[data-field="state"]').textContent = data.journey.state_label;
  root.querySelector('[data-field="window"]').textContent = `Customer numbers: ${data.window.description}`;
}

function draw() {
  drawHeader();
  drawKpis();
  drawMetrics();
  drawMatrixTable();
  drawPlans();
  drawComments();
  drawHealth();
  charts.update(data);
  root.dataset.revision = data.revision;
}

// --- Live ---------------------------------------------------------------------------------

let fetching = null;
async function refetch() {
  if (fetching) return fetching; // one request at a time; the debounce gathers the rest
  const url = new URL(config.dataUrl, location.href);
  // The window the page shows, not the address's: a window the page refused (a date out of
  // range) was replaced by the default, and asking for it again would only be refused again.
  const { preset, since, until } = data.window;
  if (preset === "custom") {
    if (since) url.searchParams.set("since", since);
    url.searchParams.set("until", until);
  } else {
    url.searchParams.set("window", preset);
  }
  fetching = (async () => {
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.status === 410) { location.reload(); return; } // a share link turned off
      if (!response.ok) return;
      data = await response.json();
      live.seen(data.revision);
      draw();
      root.dataset.refreshes = Number(root.dataset.refreshes || 0) + 1;
    } catch { /* offline: the next event or poll tries again */ } finally { fetching = null; }
  })();
  return fetching;
}

const live = new DashboardLive({
  socketPath: config.socketPath,
  pollSeconds: Number(config.pollSeconds || 30),
  revision: data.revision,
  refetch,
  onStatus: (status) => {
    if (!connection) return;
    connection.dataset.status = status;
    connection.textContent = { connecting: "Connecting…", live: "● Live", offline: "Reconnecting… (polling)", polling: "Updated every 30 s" }[status];
    connection.title = status === "live" ? "Changes to the map and new survey data appear as they happen" : "Checking for changes every 30 seconds";
  },
});

draw();
live.start();
root.querySelector('[data-action="print"]')?.addEventListener("click", () => window.print());
// Charts are drawn for the screen's width; redraw them for the page, and back.
window.addEventListener("beforeprint", () => charts.resize());
window.addEventListener("afterprint", () => charts.resize());
document.body.dataset.dashboardReady = "true";
