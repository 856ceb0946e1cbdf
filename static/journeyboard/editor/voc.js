// What customers say: metric pills on touchpoints, the touchpoint's comments, and the survey
// import panel: the import wizard (wizard.js), then the run's live progress bar (pushed over the
// WebSocket, polled as a fallback) and the responses no touchpoint claimed.

import { request } from "./api.js";
import { h } from "./dom.js";
import { connectorSection } from "./connectors.js";
import { ImportWizard } from "./wizard.js";

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
    // Upload, first rows, columns, dates, score answers, touchpoints, dry run: the wizard.
    this.wizardRoot = h("div", { class: "wizard-root" });
    this.wizard = new ImportWizard({
      root: this.wizardRoot,
      journeyId: this.journeyId,
      sources: this.sources,
      store: this.store,
      notify: this.notify,
      onSourceCreated: (created) => this.downloads.prepend(this.downloadItem(created)),
      onDraft: () => this.clear(),
      onStarted: (run) => this.track(run),
    });
    this.status = h("div", { class: "import-status", "aria-live": "polite" });
    // Each source's responses as CSV (comments that look like formulas are written as text).
    this.downloads = h("ul", { class: "source-downloads", "aria-label": "Responses by source" },
      this.sources.map((s) => this.downloadItem(s)));
    this.root.replaceChildren(h("h2", { text: "Survey data" }), this.wizardRoot, this.status, this.downloads);
    this.wizard.draw();
    this.root.append(connectorSection({ journeyId: this.journeyId, notify: this.notify, onFinished: this.onFinished }));
  }

  downloadItem(source) {
    return h("li", {}, h("a", { href: `/api/survey-sources/${source.id}/responses.csv/`, download: true, text: `Download the responses of ${source.name} (CSV)` }));
  }

  /** A new file in the wizard: the last run's result is not this file's. */
  clear() {
    clearInterval(this.poll);
    this.run = null;
    this.status.replaceChildren();
    this.root.querySelector("section.unmatched")?.remove();
  }

  /** A run the wizard queued: its progress bar, pushed over the socket and polled as a fallback. */
  track(run) {
    this.clear();
    this.update(run);
    this.poll = setInterval(() => this.refresh(), 3000);
  }

  async refresh() {
    if (!this.run) return;
    try { this.update(await request("GET", `/api/import-runs/${this.run.id}/`)); } catch { /* next tick */ }
  }

  /** A run's state, from the POST, a progress frame or a poll (whichever is newest wins). */
  update(run) {
    // A draft run is the wizard's (its dry run's result); a queued one is the progress bar's.
    if (run.state === "draft") { this.wizard?.runChanged(run); return; }
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
