// What customers say: metric pills on touchpoints, the touchpoint's comments, and the survey
// import panel with its live progress bar (pushed over the WebSocket, polled as a fallback).

import { csrfToken, request } from "./api.js";
import { h } from "./dom.js";

const signed = (value) => (value > 0 ? `+${value}` : `${value}`);
const margin = (value) => (value === null || value === undefined ? "" : ` ±${value}`);

/** NPS, CSAT and CES of one touchpoint (or phase) as small pills, with n and margins. */
export function metricPills(m) {
  const pills = [];
  if (m.nps !== null) pills.push(["nps", `NPS ${signed(Math.round(m.nps))}`, `NPS ${m.nps}${margin(m.nps_margin)} (n = ${m.nps_count})`]);
  if (m.csat !== null) pills.push(["csat", `CSAT ${Math.round(m.csat)}%`, `CSAT ${m.csat}%${margin(m.csat_margin)} (n = ${m.csat_count})`]);
  if (m.ces !== null) pills.push(["ces", `CES ${m.ces}`, `Customer effort ${m.ces} of 7${margin(m.ces_margin)} (n = ${m.ces_count})`]);
  return h("span", { class: "voc-metrics", "aria-label": `Survey responses: ${m.responses}` },
    pills.map(([kind, text, title]) => h("span", { class: `pill metric metric-${kind}`, dataset: { metric: kind }, title, text })),
    h("span", { class: "pill metric-n", title: "Survey responses", text: `n ${m.responses}` }));
}

/** The "What customers say" section of a touchpoint's panel. */
export function touchpointVoice(touchpointId, metrics, { comments = true } = {}) {
  const section = h("section", { class: "voice", "aria-label": "What customers say" },
    h("h3", { text: "What customers say" }));
  if (!metrics?.responses) {
    section.append(h("p", { class: "muted small", text: "No survey responses matched yet." }));
    return section;
  }
  section.append(metricPills(metrics));
  if (metrics.sentiment !== null) section.append(h("p", { class: "muted small", text: `Comment sentiment ${metrics.sentiment} (−1…+1, n = ${metrics.sentiment_count})` }));
  if (!comments) {
    // Customers' own words stay inside the team: a shared link shows the numbers only.
    section.append(h("p", { class: "muted small", text: "Comments are not shown on shared maps." }));
    return section;
  }
  const list = h("div", { class: "comments", text: "Loading comments…" });
  section.append(list);
  request("GET", `/api/touchpoints/${touchpointId}/comments/`).then((comments) => {
    const quote = (c, tone) => h("blockquote", { class: `comment ${tone}` },
      h("p", { text: c.comment }),
      h("footer", { class: "muted small", text: `${new Date(c.submitted_at).toLocaleDateString()} · sentiment ${c.sentiment}` }));
    list.replaceChildren(
      h("h4", { text: "Most negative" }), ...comments.negative.map((c) => quote(c, "negative")),
      h("h4", { text: "Most positive" }), ...comments.positive.map((c) => quote(c, "positive")));
  }).catch(() => list.replaceChildren(h("p", { class: "muted small", text: "Comments could not be loaded." })));
  return section;
}

/** The import panel: choose a file, watch the progress bar, read the result. */
export class SurveyImport {
  constructor({ root, journeyId, sources, store, notify, onFinished }) {
    this.root = root;
    this.store = store;
    this.journeyId = journeyId;
    this.sources = sources;
    this.notify = notify;
    this.onFinished = onFinished;
    this.run = null;
    this.poll = null;
  }

  draw() {
    const file = h("input", { type: "file", name: "file", accept: ".csv,.xlsx", required: true, "aria-label": "Survey file (CSV or XLSX)" });
    const source = h("select", { name: "source", "aria-label": "Survey source" },
      this.sources.map((s) => h("option", { value: s.id, text: s.name })),
      h("option", { value: "new", text: "New source: survey uploads" }));
    const form = h("form", { class: "import-form", "aria-label": "Import survey responses" },
      source, file, h("button", { type: "submit", class: "primary", text: "Import" }));
    form.addEventListener("submit", (event) => { event.preventDefault(); this.start(source.value, file.files[0]); });
    this.status = h("div", { class: "import-status", "aria-live": "polite" });
    // Each source's responses as CSV (comments that look like formulas are written as text).
    this.downloads = h("ul", { class: "source-downloads", "aria-label": "Responses by source" },
      this.sources.map((s) => this.downloadItem(s)));
    this.root.replaceChildren(h("h2", { text: "Survey data" }), form, this.status, this.downloads);
  }

  downloadItem(source) {
    return h("li", {}, h("a", { href: `/api/survey-sources/${source.id}/responses.csv/`, download: true, text: `Download the responses of ${source.name} (CSV)` }));
  }

  async start(sourceId, file) {
    if (!file) return;
    try {
      if (sourceId === "new") {
        const created = await request("POST", "/api/survey-sources/", { name: "Survey uploads", kind: "upload", journey: this.journeyId });
        this.sources.push(created);
        sourceId = created.id;
        // The next file goes to the same source (re-imports then update, never duplicate).
        const select = this.root.querySelector('select[name="source"]');
        select.prepend(h("option", { value: created.id, text: created.name }));
        select.value = String(created.id);
        this.downloads.prepend(this.downloadItem(created));
      }
      const body = new FormData();
      body.append("file", file);
      const response = await fetch(`/api/survey-sources/${sourceId}/imports/`, {
        method: "POST", body, credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      });
      const data = await response.json();
      if (!response.ok) { this.showRefusal(data); return; }
      this.update(data);
      // Polling only as a fallback: progress frames normally arrive over the WebSocket.
      this.poll = setInterval(() => this.refresh(), 3000);
    } catch (error) {
      this.notify(error.message || "The import could not be started.", "error");
    }
  }

  showRefusal(body) {
    this.status.replaceChildren(h("p", { class: "error", role: "alert", text: body.detail || "The file was refused." }));
  }

  async refresh() {
    if (!this.run) return;
    try { this.update(await request("GET", `/api/import-runs/${this.run.id}/`)); } catch { /* next tick */ }
  }

  /** A run's state, from the POST, a progress frame or a poll (whichever is newest wins). */
  update(run) {
    if (this.run && run.id !== this.run.id) return;
    this.run = run;
    const active = run.state === "pending" || run.state === "running";
    const percent = run.progress === null ? null : Math.round(run.progress * 100);
    const bar = h("progress", { max: 100, "aria-label": "Import progress", dataset: { state: run.state } });
    if (percent !== null) bar.value = percent;
    const counts = `${run.read} read · ${run.imported} new · ${run.updated} updated · ${run.unchanged} unchanged · ${run.failed} refused · ${run.unmatched} unmatched`;
    const children = [bar, h("p", { class: "import-state", dataset: { state: run.state }, text: `${label(run.state)}${percent !== null && active ? ` ${percent}%` : ""}` }), h("p", { class: "muted small", text: counts })];
    if (run.error) children.push(h("p", { class: "error", text: run.error }));
    if (run.failed) children.push(h("a", { href: `/api/import-runs/${run.id}/errors/`, text: "Download the refused rows (CSV)" }));
    if (active) {
      children.push(h("button", { type: "button", class: "danger", text: "Cancel import", onclick: () => request("POST", `/api/import-runs/${run.id}/cancel/`).then((r) => this.update(r)).catch((e) => this.notify(e.message, "error")) }));
    } else {
      clearInterval(this.poll);
      if (run.state === "succeeded" && this.finishedRun !== run.id) {
        this.finishedRun = run.id;
        this.onFinished?.(run);
        if (run.unmatched) this.drawUnmatched(run.source);
      }
    }
    this.status.replaceChildren(...children);
  }

  /** Responses no touchpoint claimed: a link to the map's unmatched queue (unmatched.js). */
  drawUnmatched() {
    this.status.after(h("p", { class: "unmatched-link" },
      h("button", { type: "button", class: "link", dataset: { action: "unmatched-open" }, text: `Review the ${this.run.unmatched} unmatched responses` })));
  }
}

function label(state) {
  return { pending: "Waiting for a worker…", running: "Importing…", succeeded: "Imported", failed: "Failed", cancelled: "Cancelled" }[state] || state;
}
