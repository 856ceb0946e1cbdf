// Survey platforms set up in the product: the platform sources of a map (or the shared ones,
// for admins) with a form per kind drawn from the server's table (/api/survey-sources/kinds/),
// write-only credentials, Test connection, Sync now, the schedule, and the last runs, whose
// progress follows the import frames of the map's socket (polled as a fallback).

import { request } from "./api.js";
import { h } from "./dom.js";

const SCHEDULES = [
  ["", "Off (Sync now only)"], ["15", "Every 15 minutes"], ["60", "Hourly"],
  ["360", "Every 6 hours"], ["1440", "Daily"], ["10080", "Weekly"],
];
const MAPPED_FIELDS = [
  ["response_id", "Response id"], ["submitted_at", "Submitted at"], ["nps", "NPS"],
  ["csat", "CSAT"], ["ces", "CES"], ["comment", "Comment"], ["channel", "Channel"],
  ["touchpoint", "Touchpoint"], ["phase", "Phase"],
];
const RUNS_SHOWN = 5;
const POLL_MS = 3000;

const STATE_LABELS = { pending: "Waiting for a worker", running: "Syncing", succeeded: "Succeeded", failed: "Failed", cancelled: "Cancelled" };
const scheduleLabel = (minutes) => SCHEDULES.find(([value]) => value === String(minutes ?? ""))?.[1] || `Every ${minutes} minutes`;
const isActive = (run) => run.state === "pending" || run.state === "running";
const when = (value) => (value ? new Date(value).toLocaleString() : "—");
const shortWhen = (value) => (value ? new Date(value).toLocaleString([], { dateStyle: "short", timeStyle: "short" }) : "—");

// Every panel on the page, for the import frames the page's socket receives.
const panels = new Set();

/** An import frame (a run's progress) for whichever panel shows its source. */
export function connectorImportFrame(run) {
  for (const panel of panels) {
    if (!panel.root.isConnected && panel.drawn) panels.delete(panel);
    else panel.update(run);
  }
}

/**
 * The "Survey platforms" section: ``journeyId`` null for the shared sources (admins).
 * ``onFinished`` is told when a sync of one of them succeeds (the map's numbers changed).
 */
export function connectorSection({ journeyId = null, notify = () => {}, onFinished } = {}) {
  const panel = new ConnectorPanel({ journeyId, notify, onFinished });
  panels.add(panel);
  panel.load();
  return panel.root;
}

class ConnectorPanel {
  constructor({ journeyId, notify, onFinished }) {
    this.journeyId = journeyId;
    this.notify = notify;
    this.onFinished = onFinished;
    this.kinds = new Map();
    this.sources = [];
    this.runs = new Map(); // source id → its latest runs, newest first
    this.tests = new Map(); // source id → the last connection test's answer
    this.finished = new Set(); // runs already reported as finished
    this.poll = null;
    this.body = h("div", { class: "connectors-body", text: "Loading survey platforms…" });
    this.root = h("section", { class: "connectors", "aria-label": "Survey platforms" },
      h("h3", { text: "Survey platforms" }),
      h("p", { class: "muted small", text: "Qualtrics, SurveyMonkey, Typeform or a JSON feed: responses sync on demand or on a schedule." }),
      this.body);
  }

  async load() {
    const scope = this.journeyId === null ? "journey__isnull=true" : `journey=${this.journeyId}`;
    try {
      const [kinds, page] = await Promise.all([
        request("GET", "/api/survey-sources/kinds/"),
        request("GET", `/api/survey-sources/?${scope}`),
      ]);
      this.kinds = new Map(kinds.map((kind) => [kind.kind, kind]));
      this.sources = page.results.filter((source) => this.kinds.has(source.kind));
      await Promise.all(this.sources.map((source) => this.loadRuns(source.id)));
      this.draw();
    } catch (error) {
      this.body.replaceChildren(h("p", { class: "error", role: "alert", text: `Survey platforms could not be loaded: ${error.message}` }));
    }
  }

  async loadRuns(sourceId) {
    const page = await request("GET", `/api/import-runs/?source=${sourceId}`);
    this.runs.set(sourceId, page.results.slice(0, RUNS_SHOWN));
  }

  draw() {
    this.drawn = true;
    const kindChoice = h("select", { name: "kind", "aria-label": "Kind of survey platform" },
      [...this.kinds.values()].map((kind) => h("option", { value: kind.kind, text: kind.label })));
    const add = h("div", { class: "connector-add" }, kindChoice,
      h("button", { type: "button", text: "Add a survey platform", onclick: () => this.openForm(null, kindChoice.value) }));
    this.formSlot = h("div", { class: "connector-form-slot" });
    this.body.replaceChildren(
      this.sources.length ? h("ul", { class: "connector-list" }, this.sources.map((source) => this.sourceItem(source)))
        : h("p", { class: "muted small", text: "No survey platform yet." }),
      add, this.formSlot);
    this.pollIfActive();
  }

  sourceItem(source) {
    const kind = this.kinds.get(source.kind);
    const item = h("li", { class: "connector", dataset: { source: source.id } },
      h("div", { class: "connector-head" },
        h("strong", { text: source.name }), " ", h("span", { class: "badge", text: kind.label })),
      h("p", { class: "muted small", text: `${scheduleLabel(source.sync_every_minutes)} · last synced ${when(source.last_synced_at)}` }),
      h("div", { class: "connector-actions" },
        h("button", { type: "button", text: "Test connection", onclick: (event) => this.testConnection(source, event.currentTarget) }),
        h("button", { type: "button", class: "primary", text: "Sync now", onclick: (event) => this.syncNow(source, event.currentTarget) }),
        h("button", { type: "button", text: "Settings", "aria-label": `Settings of ${source.name}`, onclick: () => this.openForm(source, source.kind) })),
      this.testLine(source.id),
      this.runsTable(source.id));
    if (source.kind === "typeform") {
      // Where Typeform pushes each response as it comes (signed with the webhook secret).
      item.append(h("p", { class: "muted small connector-webhook", text: `Webhook address for Typeform: ${location.origin}/api/webhooks/typeform/${source.id}/` }));
    }
    return item;
  }

  testLine(sourceId) {
    const answer = this.tests.get(sourceId);
    const line = h("div", { class: "connector-test", role: "status", "aria-live": "polite" });
    if (answer) {
      line.dataset.ok = String(answer.ok);
      line.append(h("p", { class: answer.ok ? "ok" : "error", text: answer.message }));
      if (answer.fields?.length) line.append(h("p", { class: "muted small", text: `Fields found: ${answer.fields.join(", ")}` }));
    }
    return line;
  }

  runsTable(sourceId) {
    const runs = this.runs.get(sourceId) || [];
    if (!runs.length) return h("p", { class: "connector-runs muted small", text: "Not synced yet." });
    const header = ["State", "Read", "New", "Updated", "Refused", "Unmatched", "Finished"];
    // Scrolls sideways inside the narrow side panel rather than widening it.
    return h("div", { class: "connector-runs-scroll" }, h("table", { class: "connector-runs", "aria-label": "Last runs" },
      h("thead", {}, h("tr", {}, header.map((name) => h("th", { scope: "col", text: name })))),
      h("tbody", {}, runs.map((run) => {
        const percent = run.progress === null ? null : Math.round(run.progress * 100);
        const state = h("td", { class: "run-state", dataset: { state: run.state } },
          `${STATE_LABELS[run.state] || run.state}${isActive(run) && percent !== null ? ` ${percent}%` : ""}`);
        if (isActive(run)) {
          const bar = h("progress", { max: 100, "aria-label": "Sync progress" });
          if (percent !== null) bar.value = percent;
          state.append(bar);
        }
        const row = [h("tr", { dataset: { run: run.id }, title: `Run #${run.id}` },
          state,
          ...[run.read, run.imported, run.updated, run.failed, run.unmatched].map((n) => h("td", { class: "num", text: String(n) })),
          h("td", { text: shortWhen(run.finished_at) }))];
        if (run.error) row.push(h("tr", { class: "run-error" }, h("td", { colspan: header.length, class: "error", text: run.error })));
        if (run.failed) row.push(h("tr", {}, h("td", { colspan: header.length }, h("a", { href: `/api/import-runs/${run.id}/errors/`, text: `Refused rows of run #${run.id} (CSV)` }))));
        return row;
      }))));
  }

  redrawSource(sourceId) {
    const item = this.body.querySelector(`.connector[data-source="${sourceId}"]`);
    const source = this.sources.find((s) => s.id === sourceId);
    if (item && source) item.replaceWith(this.sourceItem(source));
  }

  async testConnection(source, button) {
    button.disabled = true;
    button.textContent = "Testing…";
    try {
      this.tests.set(source.id, await request("POST", `/api/survey-sources/${source.id}/test-connection/`));
    } catch (error) {
      this.tests.set(source.id, { ok: false, message: error.message, fields: [] });
    }
    this.redrawSource(source.id);
  }

  async syncNow(source, button) {
    button.disabled = true;
    try {
      this.update(await request("POST", `/api/survey-sources/${source.id}/imports/`));
    } catch (error) {
      this.notify(error.message, "error");
      button.disabled = false;
    }
  }

  /** A run's state from Sync now, an import frame or a poll: newest counts win. */
  update(run) {
    const source = this.sources.find((s) => s.id === run.source);
    if (!source) return;
    const runs = (this.runs.get(source.id) || []).filter((r) => r.id !== run.id);
    runs.push(run);
    runs.sort((a, b) => b.id - a.id);
    this.runs.set(source.id, runs.slice(0, RUNS_SHOWN));
    if (run.state === "succeeded" && !this.finished.has(run.id)) {
      this.finished.add(run.id);
      source.last_synced_at = run.finished_at;
      this.onFinished?.(run);
    }
    this.redrawSource(source.id);
    this.pollIfActive();
  }

  /** Polling only while a run is active, as a fallback for missed (or absent) frames. */
  pollIfActive() {
    const active = [...this.runs.values()].flat().filter(isActive);
    if (!active.length) { clearInterval(this.poll); this.poll = null; return; }
    if (this.poll) return;
    this.poll = setInterval(async () => {
      if (!this.root.isConnected) { clearInterval(this.poll); this.poll = null; return; }
      for (const run of [...this.runs.values()].flat().filter(isActive)) {
        try { this.update(await request("GET", `/api/import-runs/${run.id}/`)); } catch { /* next tick */ }
      }
    }, POLL_MS);
  }

  /** The form of a kind: a new source (``source`` null) or the settings of one. */
  openForm(source, kindName) {
    const kind = this.kinds.get(kindName);
    const fieldsFound = this.tests.get(source?.id)?.fields || [];
    const listId = `connector-fields-${source?.id ?? "new"}`;
    const options = source?.options || {};
    const isSet = new Set(source?.credentials_set || []);
    const name = h("input", { name: "name", required: true, maxlength: 120, value: source?.name || `${kind.label} responses` });
    const optionInputs = kind.options.map((setting) => [setting, h("input", {
      name: `option-${setting.key}`, type: setting.number ? "number" : (setting.key === "url" ? "url" : "text"),
      required: setting.required, placeholder: setting.placeholder, value: options[setting.key] ?? "",
      min: setting.number ? "0" : null, step: setting.number ? "any" : null,
    })]);
    const secretInputs = kind.credentials.map((setting) => [setting, h("input", {
      name: `credential-${setting.key}`, type: "password", autocomplete: "new-password",
      required: setting.required && !isSet.has(setting.key),
    })]);
    const mappingInputs = MAPPED_FIELDS.map(([field, label]) => [field, label, h("input", {
      name: `mapping-${field}`, list: fieldsFound.length ? listId : null,
      placeholder: kind.mapping_placeholders[field] || (field === "response_id" || field === "submitted_at" ? field : ""),
      value: source?.field_mapping?.[field] || "",
    })]);
    const schedule = h("select", { name: "sync_every_minutes" },
      SCHEDULES.map(([value, label]) => h("option", { value, text: label, selected: String(source?.sync_every_minutes ?? "") === value })));
    if (source?.sync_every_minutes && !SCHEDULES.some(([value]) => value === String(source.sync_every_minutes))) {
      schedule.prepend(h("option", { value: source.sync_every_minutes, text: scheduleLabel(source.sync_every_minutes), selected: true }));
    }
    const problem = h("p", { class: "error", role: "alert", hidden: true });
    const form = h("form", { class: "connector-form", "aria-label": `${kind.label} settings` },
      h("h4", { text: source ? `Settings of ${source.name}` : `New ${kind.label} source` }),
      h("label", {}, "Name", name),
      optionInputs.map(([setting, input]) => h("label", {}, setting.label + (setting.required ? " *" : ""), input,
        setting.help ? h("span", { class: "muted small", text: setting.help }) : null)),
      h("fieldset", { class: "connector-credentials" }, h("legend", { text: "Credentials (never shown again once saved)" }),
        secretInputs.map(([setting, input]) => this.secretField(setting, input, isSet.has(setting.key)))),
      h("fieldset", { class: "connector-mapping" }, h("legend", { text: "Field mapping" }),
        h("p", { class: "muted small", text: `${kind.mapping_help} Left empty: the record's own response_id and submitted_at, nothing else.` }),
        mappingInputs.map(([, label, input]) => h("label", {}, label, input)),
        fieldsFound.length ? h("datalist", { id: listId }, fieldsFound.map((f) => h("option", { value: f }))) : null),
      h("label", {}, "Schedule", schedule),
      problem,
      h("div", { class: "panel-actions" },
        h("button", { type: "submit", class: "primary", text: source ? "Save settings" : "Add source" }),
        h("button", { type: "button", text: "Cancel", onclick: () => this.formSlot.replaceChildren() })));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = {
        name: name.value.trim(),
        options: Object.fromEntries(optionInputs.filter(([, input]) => input.value.trim() !== "")
          .map(([setting, input]) => [setting.key, setting.number ? Number(input.value) : input.value.trim()])),
        field_mapping: Object.fromEntries(mappingInputs.filter(([, , input]) => input.value.trim() !== "")
          .map(([field, , input]) => [field, input.value.trim()])),
        sync_every_minutes: schedule.value === "" ? null : Number(schedule.value),
      };
      // Only what was typed: a secret left empty keeps its stored value.
      const typed = secretInputs.filter(([, input]) => input.value !== "");
      if (typed.length) body.credentials = Object.fromEntries(typed.map(([setting, input]) => [setting.key, input.value]));
      try {
        if (source) {
          Object.assign(source, await request("PATCH", `/api/survey-sources/${source.id}/`, body));
          this.tests.delete(source.id); // it tested the settings before this change
        } else {
          const created = await request("POST", "/api/survey-sources/", { ...body, kind: kind.kind, journey: this.journeyId });
          this.sources.push(created);
        }
        this.formSlot.replaceChildren();
        this.draw();
      } catch (error) {
        problem.hidden = false;
        problem.textContent = error.message;
      }
    });
    this.formSlot.replaceChildren(form);
    name.focus();
  }

  /** A write-only secret: "set" with Replace once stored (its value never comes back). */
  secretField(setting, input, stored) {
    const label = h("label", {}, setting.label + (setting.required ? " *" : ""));
    if (setting.help) label.append(h("span", { class: "muted small", text: setting.help }));
    if (!stored) { label.append(input); return label; }
    const status = h("span", { class: "secret-set", dataset: { secret: setting.key } },
      h("span", { class: "badge share-active", text: "set" }), " ",
      h("button", { type: "button", class: "link", text: "Replace", "aria-label": `Replace the ${setting.label.toLowerCase()}`, onclick: () => {
        status.replaceWith(input);
        input.focus();
      } }));
    label.append(status);
    return label;
  }
}
