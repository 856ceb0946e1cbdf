// Side panels: every field of a touchpoint or an opportunity, and the persona beside the grid.

import { touchpointVoice } from "./voc.js";
import { h } from "./dom.js";

const OPPORTUNITY_FIELDS = [
  ["title", "Title", "text"], ["description", "Description", "textarea"],
  ["impact", "Impact (1–5)", "scale"], ["effort", "Effort (1–5)", "scale"],
  ["status", "Status", "opportunityStatuses"], ["owner", "Owner", "people"],
  ["due_date", "Due date", "date"], ["touchpoint", "Touchpoint", "touchpoints"],
  ["kpi", "KPI", "text"], ["target", "Target", "text"],
];
// A phase's header holds its name; the panel adds what a column has no room for.
const PHASE_FIELDS = [
  ["name", "Name", "text"], ["description", "Description", "textarea"], ["customer_goal", "Customer goal", "textarea"],
];
const TOUCHPOINT_FIELDS = [
  ["name", "Name", "text"], ["channel", "Channel", "channels"], ["department", "Owning department", "departments"],
  ["description", "Description", "textarea"], ["is_moment_that_matters", "Moment that matters", "checkbox"],
];
const FIELDS = { opportunity: OPPORTUNITY_FIELDS, touchpoint: TOUCHPOINT_FIELDS, phase: PHASE_FIELDS };
const TITLES = { opportunity: "Opportunity", touchpoint: "Touchpoint", phase: "Phase" };

export class Panels {
  constructor({ side, persona, store, editor, canEdit, choices, people, personas, shared = false }) {
    this.shared = shared; // a share-link visitor: no photos, comments or persona pages
    this.side = side;
    this.personaPanel = persona;
    this.store = store;
    this.editor = editor;
    this.canEdit = canEdit;
    this.choices = choices;
    this.people = people || [];
    this.personas = personas || [];
    this.current = null;
  }

  // --- Touchpoint and opportunity details ------------------------------------------------------

  open(kind, id) {
    this.current = { kind, id };
    // One panel at a time.
    for (const other of document.querySelectorAll("[data-import-panel], [data-unmatched-panel], [data-settings-panel]")) other.hidden = true;
    this.draw();
    this.side.hidden = false;
    this.side.querySelector("input, select, textarea, button.close")?.focus();
  }

  close() {
    const { kind, id } = this.current || {};
    this.current = null;
    this.side.hidden = true;
    this.side.replaceChildren();
    // Back to what opened the panel (a phase's from the details button in its header).
    document.querySelector(`[data-key="${kind === "phase" ? "phase-details" : kind}-${id}"]`)?.focus();
  }

  /** Redraw after a change (the item may have changed or gone). */
  refresh() {
    if (!this.current) return;
    if (!this.store.get(this.current.kind, this.current.id)) this.close();
    else this.draw();
  }

  options(source, item) {
    if (source === "people") return [["", "Nobody yet"], ...this.people.map((p) => [String(p.id), p.name])];
    if (source === "touchpoints") {
      const here = [...this.store.items.touchpoint.values()].filter((t) => t.phase === item.phase);
      return [["", "None"], ...here.map((t) => [String(t.id), t.name])];
    }
    if (source === "scale") return [1, 2, 3, 4, 5].map((n) => [String(n), String(n)]);
    return this.choices[source];
  }

  draw() {
    const { kind, id } = this.current;
    const item = this.store.get(kind, id);
    const fields = FIELDS[kind];
    const title = TITLES[kind];
    const close = h("button", { type: "button", class: "close icon-btn", "aria-label": "Close", text: "×", onclick: () => this.close() });
    this.side.onkeydown = (event) => { if (event.key === "Escape") { event.preventDefault(); this.close(); } };

    if (!this.canEdit) {
      const rows = fields.map(([name, label, type]) => [label, this.display(item, name, type)]);
      if (kind === "opportunity") rows.splice(4, 0, ["Priority", `${item.priority}/25 (${item.priority_level})`]);
      if (kind === "touchpoint") rows.push(["Code", item.code]);
      this.side.replaceChildren(close, h("h2", { text: title }),
        h("dl", { class: "facts" }, rows.flatMap(([label, value]) => [h("dt", { text: label }), h("dd", { text: value || "—" })])));
      if (kind === "touchpoint") this.side.append(touchpointVoice(id, this.store.touchpointMetrics(id), { comments: !this.shared }));
      return;
    }

    const form = h("form", { "aria-label": `Edit ${kind}` });
    for (const [name, label, type] of fields) form.append(this.input(item, name, label, type));
    if (kind === "touchpoint") form.append(h("p", { class: "muted small", text: `Survey code: ${item.code}` }));
    if (kind === "opportunity") form.append(h("p", { class: "muted small", text: `Priority ${item.priority}/25 (${item.priority_level}): impact × (6 − effort).` }));
    form.append(h("div", { class: "panel-actions" },
      h("button", { type: "submit", class: "primary", text: "Save" }),
      // A phase is deleted from its header (×), which asks about what it holds.
      kind === "phase" ? null
        : h("button", { type: "button", class: "danger", text: "Delete", onclick: () => { this.editor.deleteItem(kind, id, { ask: this.deleteQuestion(kind, item) }); this.close(); } })));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const changes = this.changes(form, item, fields);
      if (Object.keys(changes).length) this.editor.editItem(kind, id, changes, item.version);
      this.close();
    });
    this.side.replaceChildren(close, h("h2", { text: title }), form);
    if (kind === "touchpoint") this.side.append(touchpointVoice(id, this.store.touchpointMetrics(id), { comments: !this.shared }));
  }

  display(item, name, type) {
    const value = item[name];
    if (type === "checkbox") return value ? "Yes" : "No";
    if (value === null || value === undefined || value === "") return "";
    const match = type !== "text" && type !== "textarea" && type !== "date" && type !== "scale"
      ? this.options(type, item).find(([v]) => v === String(value)) : null;
    return match ? match[1] : String(value);
  }

  input(item, name, label, type) {
    const value = item[name];
    let control;
    if (type === "textarea") {
      control = h("textarea", { name, rows: 3 });
      control.value = value || "";
    } else if (type === "checkbox") {
      control = h("input", { type: "checkbox", name });
      control.checked = Boolean(value);
      return h("label", { class: "check" }, control, label);
    } else if (type === "text" || type === "date") {
      control = h("input", { type, name, value: value || "" });
    } else {
      control = h("select", { name },
        this.options(type, item).map(([v, text]) => h("option", { value: v, text })));
      control.value = value === null || value === undefined ? "" : String(value);
    }
    return h("label", {}, label, control);
  }

  /** What the side panel asks before a delete (a touchpoint's the server asks, with counts). */
  deleteQuestion(kind, item) {
    if (kind === "card") return { title: "Delete this card?", message: `“${item.text}” goes from the map (Undo brings it back).` };
    if (kind === "opportunity") {
      const plan = [item.owner && "its owner", item.due_date && "due date", item.kpi && "KPI", item.target && "target"].filter(Boolean);
      return { title: "Delete this opportunity?", message: `“${item.title}”${plan.length ? `, with ${plan.join(", ")},` : ""} goes from the map (Undo brings it back).` };
    }
    return null;
  }

  changes(form, item, fields) {
    const changes = {};
    for (const [name, , type] of fields) {
      const control = form.elements[name];
      let value;
      if (type === "checkbox") value = control.checked;
      else if (type === "scale") value = Number(control.value);
      else if (type === "people" || type === "touchpoints") value = control.value ? Number(control.value) : null;
      else if (type === "date") value = control.value || null;
      else value = control.value;
      if ((value ?? null) !== (item[name] ?? null)) changes[name] = value;
    }
    return changes;
  }

  // --- The persona beside the grid -------------------------------------------------------------

  drawPersona() {
    const persona = this.store.persona;
    const panel = this.personaPanel;
    const children = [];
    if (persona) {
      const avatar = persona.photo && !this.shared
        ? h("img", { class: "avatar large", src: persona.photo, alt: `Photo of ${persona.name}` })
        : h("span", { class: "avatar large", "aria-hidden": "true", text: persona.avatar || persona.name.slice(0, 1) });
      children.push(
        h("div", { class: "who-head" }, avatar,
          h("div", {}, h("h2", { text: persona.name }), h("div", { class: "muted", text: [persona.role, persona.segment].filter(Boolean).join(" · ") }))),
        persona.quote ? h("blockquote", { class: "quote", text: `“${persona.quote}”` }) : null,
        this.list("Goals", persona.goals),
        this.list("Frustrations", persona.frustrations),
        this.list("Needs", persona.needs),
        this.shared ? null : h("a", { href: `/personas/${persona.id}/`, text: "Full persona →" }),
      );
    } else {
      children.push(h("h2", { text: "No persona" }), h("p", { class: "muted", text: "This map does not follow a persona yet." }));
    }
    if (this.canEdit && this.personas.length) {
      const select = h("select", { "aria-label": "Persona of this map", class: "persona-switch" },
        h("option", { value: "", text: "— No persona —" }),
        this.personas.map((p) => h("option", { value: String(p.id), text: p.name })));
      select.value = persona ? String(persona.id) : "";
      select.addEventListener("change", () => this.editor.setPersona(select.value ? Number(select.value) : null));
      children.push(h("h3", { text: "Switch persona" }), select);
    }
    panel.replaceChildren(...children.filter(Boolean));
  }

  list(title, items) {
    if (!items?.length) return null;
    return h("section", {}, h("h3", { text: title }), h("ul", {}, items.map((text) => h("li", { text }))));
  }
}
