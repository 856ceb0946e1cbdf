// The survey import wizard of the "Survey data" panel: upload a file as a draft run, see its
// first rows, say which column is which field, how its dates and score answers read and which
// touchpoint each named value stands for, save that on the source, try it (a dry run that
// rolls back), then import. Each step is a section with a heading that takes the focus.
// The choices themselves are pure data (import-settings.js); this module draws them.

import { csrfToken, request } from "./api.js";
import { h } from "./dom.js";
import {
  DATE_FORMATS, FIELDS, IGNORE, KEEP, PRESETS, SCALES, SCORES,
  answerOutcome, columnChoices, duplicateFields, mappingFrom, matchKey, missingFields,
  settingsToSave, touchpointFor, touchpointValues,
} from "./import-settings.js";

const FIELD_LABEL = Object.fromEntries(FIELDS);
const number = (n) => Number(n || 0).toLocaleString("en");
const STEP_TITLES = ["Upload", "First rows", "Columns", "Dates", "Score answers", "Touchpoints", "Check and import"];

let unique = 0;
const nextId = (prefix) => `${prefix}-${++unique}`;

/** A labelled control: the label's ``for`` names it (so its name is the label's text alone). */
function labelled(text, control, hint) {
  control.id ||= nextId("wizard");
  const label = h("label", { for: control.id, text });
  return h("div", { class: "wizard-field" }, label, control, hint ? h("span", { class: "muted small", text: hint }) : null);
}

export class ImportWizard {
  /**
   * ``onSourceCreated(source)`` when "New source" made one; ``onDraft(run)`` when a file was
   * uploaded as a draft; ``onStarted(run)`` when a run was queued (the panel then shows its
   * progress bar).
   */
  constructor({ root, journeyId, sources, store, notify, onSourceCreated, onDraft, onStarted }) {
    this.root = root;
    this.journeyId = journeyId;
    this.sources = sources;
    this.store = store;
    this.notify = notify;
    this.onSourceCreated = onSourceCreated;
    this.onDraft = onDraft;
    this.onStarted = onStarted;
    this.run = null;
    this.poll = null;
  }

  // --- The frame: seven steps, one shown at a time ---------------------------------------------

  draw() {
    this.sections = STEP_TITLES.map((title, index) => {
      const heading = h("h3", { class: "wizard-heading", tabindex: -1, text: `${index + 1}. ${title}` });
      return h("section", { class: "wizard-step", dataset: { step: index + 1 }, "aria-label": title, hidden: index > 0 }, heading, h("div", { class: "wizard-body" }));
    });
    this.root.replaceChildren(h("div", { class: "import-wizard" }, this.sections));
    this.drawUpload();
  }

  body(step) {
    return this.sections[step - 1].querySelector(".wizard-body");
  }

  /** Shows one step and moves the focus to its heading (screen readers hear where they are). */
  show(step) {
    if (step === 5) this.drawScores();
    if (step === 6) this.drawTouchpoints();
    if (step === 7) this.drawCheck();
    this.sections.forEach((section, index) => { section.hidden = index !== step - 1; });
    this.step = step;
    this.sections[step - 1].querySelector(".wizard-heading").focus();
  }

  /** Back and Next under a step. */
  nav(step, { next = true } = {}) {
    return h("div", { class: "wizard-nav" },
      h("button", { type: "button", text: "Back", onclick: () => this.show(step - 1) }),
      next ? h("button", { type: "button", class: "primary", text: "Next", onclick: () => this.show(step + 1) }) : null);
  }

  // --- 1. Upload ---------------------------------------------------------------------------------

  drawUpload() {
    const file = h("input", { type: "file", name: "file", accept: ".csv,.xlsx", required: true });
    const source = h("select", { name: "source" },
      this.sources.map((s) => h("option", { value: s.id, text: s.name })),
      h("option", { value: "new", text: "New source: survey uploads" }));
    this.sourceSelect = source;
    this.uploadStatus = h("div", { class: "wizard-status", "aria-live": "polite" });
    const form = h("form", { class: "import-form", "aria-label": "Upload a survey export" },
      labelled("Survey source", source),
      labelled("Survey file (CSV or XLSX)", file),
      h("button", { type: "submit", class: "primary", text: "Upload and preview" }));
    form.addEventListener("submit", (event) => { event.preventDefault(); this.upload(source.value, file.files[0], form); });
    this.body(1).replaceChildren(form, this.uploadStatus,
      h("p", { class: "small" }, h("a", { href: `/api/journeys/${this.journeyId}/survey-template.csv`, download: true, text: "Download the CSV template" }),
        h("span", { class: "muted", text: " (the expected columns, one example row per touchpoint of this map)" })));
  }

  async upload(sourceId, file, form) {
    if (!file) return;
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    this.uploadStatus.replaceChildren(h("p", { class: "muted small", text: `Reading ${file.name}…` }));
    try {
      if (sourceId === "new") {
        const created = await request("POST", "/api/survey-sources/", { name: "Survey uploads", kind: "upload", journey: this.journeyId });
        this.sources.push(created);
        sourceId = String(created.id);
        // The next file goes to the same source (re-imports then update, never duplicate).
        this.sourceSelect.prepend(h("option", { value: created.id, text: created.name }));
        this.sourceSelect.value = sourceId;
        this.onSourceCreated?.(created);
      }
      const body = new FormData();
      body.append("file", file);
      body.append("draft", "true");
      const response = await fetch(`/api/survey-sources/${sourceId}/imports/`, {
        method: "POST", body, credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      });
      const data = await response.json().catch(() => ({}));
      if (!response.ok) {
        this.uploadStatus.replaceChildren(h("p", { class: "error", role: "alert", text: data.detail || "The file was refused." }));
        return;
      }
      const source = await request("GET", `/api/survey-sources/${sourceId}/`);
      this.uploadStatus.replaceChildren();
      this.begin(data, source, file.name);
    } catch (error) {
      this.uploadStatus.replaceChildren(h("p", { class: "error", role: "alert", text: error.message || "The file could not be uploaded." }));
    } finally {
      button.disabled = false;
    }
  }

  /** A draft run and its preview: the wizard's state starts from the source's saved choices. */
  begin(run, source, fileName) {
    const preview = run.preview;
    this.run = run;
    this.source = source;
    this.fileName = fileName;
    this.preview = preview;
    const settings = preview.settings || {};
    this.saved = { ...(source.import_settings || {}) };
    this.choices = columnChoices(preview.columns, preview.mapping || {}, settings.attribute_columns || []);
    this.dateFormat = settings.date_format || preview.dates?.suggested || "iso";
    this.timeZone = settings.time_zone || "UTC";
    this.scoreValues = Object.fromEntries(SCORES.map((field) => [field, { ...(settings.score_values?.[field] || {}) }]));
    this.touchpointTable = { ...(settings.touchpoint_values || {}) };
    this.touchpointChoices = null; // filled when the touchpoint step is first drawn
    this.dryRun = null;
    this.onDraft?.(run);
    this.drawRows();
    this.drawColumns();
    this.drawDates();
    this.show(2);
  }

  /** The saved mapping fits this file: every column it names is here. */
  savedMappingFits() {
    const mapping = this.source?.field_mapping || {};
    const columns = Object.values(mapping).filter((column) => column !== null);
    return columns.length > 0 && columns.every((column) => this.preview.columns.includes(column));
  }

  // --- 2. First rows -----------------------------------------------------------------------------

  drawRows() {
    const { columns, rows, sheet_rows: sheetRows } = this.preview;
    const table = h("table", { class: "preview-table", "aria-describedby": nextId("rows-note") },
      h("thead", {}, h("tr", {}, h("th", { scope: "col", text: "Row" }), columns.map((c) => h("th", { scope: "col", text: c })))),
      h("tbody", {}, rows.map((cells, i) => h("tr", {},
        h("th", { scope: "row", text: String(sheetRows[i]) }),
        columns.map((_, j) => h("td", { text: cells[j] ?? "" }))))));
    // A wide file scrolls inside its own box, never the panel; the box takes the keyboard.
    const scroll = h("div", { class: "preview-scroll", role: "region", tabindex: 0, "aria-label": "First rows of the file" }, table);
    const note = h("p", { class: "muted small", id: table.getAttribute("aria-describedby"), text: `The first ${rows.length} rows of ${this.fileName}, by their row in the spreadsheet (the header is row 1).` });
    const children = [note, scroll];
    if (this.savedMappingFits()) {
      children.unshift(h("div", { class: "wizard-saved" },
        h("p", { text: `${this.source.name} has a saved mapping that fits this file.` }),
        h("button", { type: "button", class: "primary", text: "Import with the saved mapping", onclick: () => this.start({ save: false }) }),
        h("p", { class: "muted small", text: "Or check each step first: Next." })));
    }
    this.body(2).replaceChildren(...children, this.nav(2));
  }

  // --- 3. Columns --------------------------------------------------------------------------------

  drawColumns() {
    const { columns, rows } = this.preview;
    this.columnNote = h("div", { class: "wizard-status", "aria-live": "polite" });
    const fields = columns.map((column, j) => {
      const select = h("select", { dataset: { column } },
        h("option", { value: IGNORE, text: "Ignore" }),
        FIELDS.map(([field, label]) => h("option", { value: field, text: label })),
        h("option", { value: KEEP, text: "Keep as attribute" }));
      select.value = this.choices.get(column);
      select.addEventListener("change", () => {
        this.choices.set(column, select.value);
        this.checkColumns();
      });
      const sample = rows.map((cells) => cells[j]).find((value) => value !== undefined && value !== "");
      return labelled(column, select, sample === undefined ? "empty in the first rows" : `e.g. “${sample}”`);
    });
    this.body(3).replaceChildren(
      h("p", { class: "muted small", text: "Which field each column holds. Response id and submitted at are needed, and at least one score or comment." }),
      h("div", { class: "wizard-columns" }, fields), this.columnNote, this.nav(3));
    this.checkColumns();
  }

  /** Next waits until every needed field has one column, and no field has two. */
  checkColumns() {
    const missing = missingFields(this.choices);
    const twice = duplicateFields(this.choices);
    this.columnNote.replaceChildren(...[
      missing.length && h("p", { class: "warning", text: `Still needed: ${missing.map((f) => FIELD_LABEL[f] || f).join(", ")}.` }),
      ...twice.map(({ field, columns }) => h("p", { class: "warning", text: `${FIELD_LABEL[field]} is chosen for ${columns.map((c) => `“${c}”`).join(" and ")}: choose it for one column only.` })),
    ].filter(Boolean));
    for (const select of this.body(3).querySelectorAll("select")) {
      if (twice.some(({ columns }) => columns.includes(select.dataset.column))) select.setAttribute("aria-invalid", "true");
      else select.removeAttribute("aria-invalid");
    }
    const next = this.body(3).querySelector(".wizard-nav .primary");
    if (next) next.disabled = missing.length > 0 || twice.length > 0;
  }

  // --- 4. Dates ----------------------------------------------------------------------------------

  drawDates() {
    const dates = this.preview.dates;
    const children = [];
    if (dates?.sample) {
      if (dates.mixed) {
        // Prominent: a file mixing formats cannot be read one way without refusing some rows.
        children.push(h("div", { class: "wizard-warning", role: "alert" },
          h("strong", { text: "This file mixes date formats. " }),
          h("span", { text: dates.message || "Some dates can only be read one way and some only the other." })));
      } else if (dates.message) {
        children.push(h("p", { text: dates.message }));
      }
      const counted = [
        ["ISO 8601", dates.iso], ["only day first", dates.day_first], ["only month first", dates.month_first],
        ["either way (day ≤ 12)", dates.ambiguous], ["Excel serial numbers", dates.excel_serial], ["date cells of the workbook", dates.date_cells],
        ["not dates in any format", dates.unreadable],
      ];
      children.push(h("p", { class: "small", text: `Of ${number(dates.sample)} dates in “${dates.column}”:` }),
        h("ul", { class: "wizard-counts small", "aria-label": "Dates found" },
          counted.filter(([, n]) => n).map(([what, n]) => h("li", { text: `${number(n)} ${what}` }))));
    } else {
      children.push(h("p", { class: "muted small", text: dates?.message || "No dates were found in the first rows." }));
    }
    const name = nextId("date-format");
    const formats = h("fieldset", { class: "wizard-choices" }, h("legend", { text: "Read the dates as" }),
      DATE_FORMATS.map(([value, label]) => {
        const radio = h("input", { type: "radio", name, value, id: nextId("wizard") });
        radio.checked = value === this.dateFormat;
        radio.addEventListener("change", () => { if (radio.checked) this.dateFormat = value; });
        const suggested = dates?.suggested === value ? " — suggested" : "";
        return h("div", { class: "wizard-choice" }, radio, h("label", { for: radio.id, text: `${label}${suggested}` }));
      }));
    const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
    const list = h("datalist", { id: nextId("zones") }, ["UTC", ...zones.filter((z) => z !== "UTC")].map((z) => h("option", { value: z })));
    const zone = h("input", { type: "text", list: list.id, value: this.timeZone, autocomplete: "off", spellcheck: "false" });
    zone.addEventListener("input", () => { this.timeZone = zone.value.trim(); });
    children.push(formats, labelled("Time zone of times written without one", zone, "An IANA zone, e.g. Europe/London"), list);
    this.body(4).replaceChildren(...children, this.nav(4));
  }

  // --- 5. Score answers --------------------------------------------------------------------------

  drawScores() {
    const mapped = SCORES.map((field) => [field, mappingFrom(this.choices).fieldMapping[field]]).filter(([, column]) => column);
    const parts = mapped.map(([field, column]) => this.scoreMap(field, column));
    this.body(5).replaceChildren(
      ...(parts.length ? parts : [h("p", { class: "muted small", text: "No score column is mapped: nothing to read here." })]),
      this.nav(5));
  }

  /** One score column's answers, each read as written, as a number or as "no answer". */
  scoreMap(field, column) {
    const [low, high] = SCALES[field];
    const answers = (this.preview.values?.[column] || []).filter(([value]) => matchKey(value) !== "");
    const map = this.scoreValues[field];
    const rows = h("div", { class: "wizard-values" });
    const redraw = () => rows.replaceChildren(...answers.map(([value, count]) => {
      const select = h("select", { dataset: { answer: value } },
        h("option", { value: "", text: onScaleText(answerOutcome(field, value), field) }),
        h("option", { value: "none", text: "No answer (left empty)" }),
        range(low, high).map((n) => h("option", { value: String(n), text: String(n) })));
      const key = matchKey(value);
      select.value = key in map ? (map[key] === null ? "none" : String(map[key])) : "";
      select.addEventListener("change", () => {
        if (select.value === "") delete map[key];
        else map[key] = select.value === "none" ? null : Number(select.value);
        redraw();
        rows.querySelector(`select[data-answer="${CSS.escape(value)}"]`)?.focus();
      });
      const row = labelled(`“${value}” × ${number(count)}`, select);
      if (answerOutcome(field, value, map).kind === "refused") row.classList.add("refused");
      return row;
    }));
    redraw();
    const preset = (text, apply) => h("button", { type: "button", class: "small", text, onclick: () => {
      Object.assign(map, apply(field, answers.map(([value]) => value), map));
      redraw();
    } });
    return h("fieldset", { class: "wizard-score", dataset: { field } },
      h("legend", { text: `${field.toUpperCase()} (${low}–${high}) from “${column}”` }),
      h("div", { class: "wizard-presets", role: "group", "aria-label": `Presets for ${field.toUpperCase()}` },
        preset("Reverse 1–5", PRESETS.reverse),
        field === "csat" ? preset("1–10 → 1–5 CSAT", PRESETS.tenToFive) : null,
        preset("Labels (Very satisfied… → 5…1)", PRESETS.labels),
        preset("Everything else → no answer", PRESETS.restNoAnswer),
        h("button", { type: "button", class: "small", text: "Clear", onclick: () => { for (const key of Object.keys(map)) delete map[key]; redraw(); } })),
      answers.length ? rows : h("p", { class: "muted small", text: "No answers in the first rows." }));
  }

  // --- 6. Touchpoints ----------------------------------------------------------------------------

  drawTouchpoints() {
    const { fieldMapping } = mappingFrom(this.choices);
    const column = fieldMapping.touchpoint || fieldMapping.channel;
    const touchpoints = [...this.store.items.touchpoint.values()].sort((a, b) => a.name.localeCompare(b.name));
    if (!column) {
      this.body(6).replaceChildren(h("p", { class: "muted small", text: "No touchpoint or channel column is mapped: responses are matched by the source's rules only." }), this.nav(6));
      return;
    }
    const values = (this.preview.values?.[column] || []).filter(([value]) => matchKey(value) !== "");
    if (this.touchpointChoices === null || this.touchpointColumn !== column) {
      this.touchpointColumn = column;
      this.touchpointChoices = Object.fromEntries(values.map(([value]) => [value, touchpointFor(value, touchpoints, this.touchpointTable)]));
    }
    const rows = values.map(([value, count]) => {
      const select = h("select", { dataset: { value } },
        h("option", { value: "", text: "Leave unmatched" }),
        touchpoints.map((t) => h("option", { value: t.code || "", disabled: !t.code, text: t.code ? `${t.name} (${t.code})` : `${t.name} (no code)` })));
      select.value = this.touchpointChoices[value] || "";
      select.addEventListener("change", () => { this.touchpointChoices[value] = select.value; });
      return labelled(`“${value}” × ${number(count)}`, select);
    });
    this.body(6).replaceChildren(
      h("p", { class: "muted small", text: `The values of “${column}”, each matched to one of this map's touchpoints (by code). Spaces and case do not matter.` }),
      values.length ? h("div", { class: "wizard-values" }, rows) : h("p", { class: "muted small", text: "No values in the first rows." }),
      this.nav(6));
  }

  // --- 7. Save, dry run, import ------------------------------------------------------------------

  drawCheck() {
    this.checkStatus = h("div", { class: "wizard-status", "aria-live": "polite" });
    this.dryRunResult = h("div", { class: "dry-run", "aria-live": "polite" });
    this.body(7).replaceChildren(
      h("p", { class: "muted small", text: "The mapping is saved on the source: the next upload and scheduled syncs read the same way. A dry run imports the file and rolls it back." }),
      h("div", { class: "wizard-actions" },
        h("button", { type: "button", text: "Save mapping", onclick: () => this.save().catch(() => {}) }),
        h("button", { type: "button", text: "Dry run", onclick: () => this.startDryRun() }),
        h("button", { type: "button", class: "primary", text: "Import", onclick: () => this.start({ save: true }) })),
      this.checkStatus, this.dryRunResult, this.nav(7, { next: false }));
    if (this.dryRun) this.drawDryRun(this.dryRun);
  }

  /** What the source keeps: the field mapping and the import settings. */
  changes() {
    const { fieldMapping, attributeColumns } = mappingFrom(this.choices);
    const choices = this.touchpointChoices || {};
    return {
      field_mapping: fieldMapping,
      import_settings: settingsToSave(this.saved, {
        dateFormat: this.dateFormat,
        timeZone: this.timeZone || "UTC",
        scoreValues: this.scoreValues,
        touchpointTable: touchpointValues(this.touchpointTable, choices),
        attributeColumns,
      }),
    };
  }

  async save() {
    try {
      this.source = await request("PATCH", `/api/survey-sources/${this.source.id}/`, this.changes());
      this.saved = { ...(this.source.import_settings || {}) };
      this.touchpointTable = { ...(this.saved.touchpoint_values || {}) };
      this.checkStatus.replaceChildren(h("p", { class: "muted small", text: `Mapping saved on ${this.source.name}.` }));
    } catch (error) {
      this.checkStatus.replaceChildren(h("p", { class: "error", role: "alert", text: `The mapping was not saved: ${error.message}` }));
      throw error;
    }
  }

  async startDryRun() {
    try {
      await this.save();
      this.dryRun = { state: "running" };
      this.drawDryRun(this.dryRun);
      this.runChanged(await request("POST", `/api/import-runs/${this.run.id}/dry-run/`));
      // Polling only as a fallback: the run's frame normally arrives over the WebSocket.
      clearInterval(this.poll);
      this.poll = setInterval(() => this.refresh(), 2000);
    } catch (error) {
      if (!this.checkStatus.querySelector(".error")) this.checkStatus.replaceChildren(h("p", { class: "error", role: "alert", text: error.message }));
    }
  }

  async refresh() {
    if (!this.run) return;
    try { this.runChanged(await request("GET", `/api/import-runs/${this.run.id}/`)); } catch { /* next tick */ }
  }

  /** A draft run's new state (its dry run's result), from a frame, a poll or an answer. */
  runChanged(run) {
    if (!this.run || run.id !== this.run.id || !run.dry_run) return;
    this.run = { ...this.run, ...run, preview: this.run.preview };
    const dry = run.dry_run;
    if (dry.state !== "running") clearInterval(this.poll);
    // A frame of the dry run asked for before this one must not show as this one's result.
    if (this.dryRun?.state === "running" && dry.state === "running" && this.dryRunShown) return;
    this.dryRun = dry;
    if (this.dryRunResult) this.drawDryRun(dry);
  }

  drawDryRun(dry) {
    this.dryRunShown = dry.state === "running";
    if (dry.state === "running") {
      this.dryRunResult.replaceChildren(h("p", { class: "dry-run-state", dataset: { state: "running" }, text: "Dry run: reading the file…" }));
      return;
    }
    if (dry.state === "failed") {
      this.dryRunResult.replaceChildren(h("p", { class: "error dry-run-state", dataset: { state: "failed" }, role: "alert", text: `The dry run failed: ${dry.error || "no reason given"}` }));
      return;
    }
    const would = (dry.imported || 0) + (dry.updated || 0) + (dry.unchanged || 0);
    const children = [
      h("p", { class: "dry-run-state", dataset: { state: "done" }, text: `Dry run: ${number(dry.read)} rows read` }),
      h("ul", { class: "dry-run-counts", "aria-label": "Dry run counts" },
        h("li", { dataset: { count: "import" }, text: `${number(would)} would import (${number(dry.imported)} new · ${number(dry.updated)} updated · ${number(dry.unchanged)} unchanged)` }),
        h("li", { dataset: { count: "refused" }, text: `${number(dry.refused)} refused` }),
        h("li", { dataset: { count: "unmatched" }, text: `${number(dry.unmatched)} unmatched` })),
    ];
    if (dry.reasons?.length) {
      children.push(h("h4", { text: "First refused rows" }),
        h("ol", { class: "dry-run-reasons small" }, dry.reasons.map((r) => h("li", {
          text: `Row ${r.sheet_row}${r.response_id ? `, response ${r.response_id}` : ""}: ${String(r.field || "").replace(/_/g, " ")}${r.value && !String(r.reason).includes(r.value) ? ` “${r.value}”` : ""} — ${r.reason}`,
        }))));
    }
    if (dry.unmatched_values?.length) {
      children.push(h("h4", { text: "Values no touchpoint claims" }),
        h("ul", { class: "dry-run-unmatched small" }, dry.unmatched_values.map(([value, count]) => h("li", { text: `“${value}” × ${number(count)}` }))),
        h("button", { type: "button", class: "small", text: "Map them in the touchpoint step", onclick: () => this.show(6) }));
    }
    this.dryRunResult.replaceChildren(...children);
  }

  /** Queues the draft run (saving the mapping first, unless the saved one is used as it is). */
  async start({ save }) {
    try {
      if (save) await this.save();
      const run = await request("POST", `/api/import-runs/${this.run.id}/start/`);
      clearInterval(this.poll);
      this.run = null;
      this.sections.forEach((section, index) => { section.hidden = index !== 0; });
      this.root.querySelector('input[type="file"]').value = "";
      this.uploadStatus.replaceChildren(h("p", { class: "muted small", text: `Importing ${this.fileName} into ${this.source.name}.` }));
      this.onStarted?.(run);
    } catch (error) {
      const where = this.step === 7 ? this.checkStatus : this.body(this.step).querySelector(".wizard-saved") || this.uploadStatus;
      if (!where.querySelector?.(".error")) where.append(h("p", { class: "error", role: "alert", text: `The import did not start: ${error.message}` }));
    }
  }
}

function range(low, high) {
  return Array.from({ length: high - low + 1 }, (_, i) => low + i);
}

/** The first option of an answer's select: what happens to it with no rule of its own. */
function onScaleText(outcome, field) {
  if (outcome.kind === "written") return "As written";
  return `Not on the ${field.toUpperCase()} scale: refused`;
}
