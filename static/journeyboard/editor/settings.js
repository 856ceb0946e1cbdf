// The map's settings (its editors): title, description, scenario, persona, status and state,
// and — for its owner or an admin — who may see it: owner, collaborators, restricted. Saved in
// one PATCH of the journey (journeys.services.journey_update); everyone on the map hears it as
// a journey_updated event, and those who may no longer see the map lose it (see access.js).

import { ApiError, api } from "./api.js";
import { h } from "./dom.js";

const TEXT_FIELDS = [["title", "Title", "input"], ["description", "Description", "textarea"], ["scenario", "Scenario", "textarea"]];

/** The toolbar's title and badges, as the store holds the journey now (everyone, live). */
export function drawJourneyHeader(journey, choices) {
  const label = (options, value) => (options || []).find(([v]) => v === value)?.[1] ?? value;
  const title = document.querySelector('[data-field="journey-title"]');
  if (title && journey.title !== undefined && title.textContent !== journey.title) {
    title.textContent = journey.title;
    document.title = `${journey.title} · Journeyboard`;
  }
  const status = document.querySelector('[data-field="journey-status"]');
  if (status && journey.status) {
    status.className = `badge status-${journey.status}`;
    status.textContent = label(choices.journeyStatuses, journey.status);
  }
  const state = document.querySelector('[data-field="journey-state"]');
  if (state && journey.state) state.textContent = label(choices.journeyStates, journey.state);
  const restricted = document.querySelector('[data-field="journey-restricted"]');
  if (restricted && journey.is_restricted !== undefined) restricted.hidden = !journey.is_restricted;
}

export class SettingsPanel {
  /**
   * ``canManage``: the owner or an admin, who may change who sees the map (others see those
   * fields read-only). ``onOpen()`` closes the other side panels (one at a time).
   */
  constructor({ root, button, store, journeyId, canManage, people, personas, choices, notify, onOpen }) {
    Object.assign(this, { root, button, store, journeyId, canManage, choices, notify, onOpen });
    this.people = people || [];
    this.personas = personas || [];
    this.dirty = false;
    this.collaborators = [];
    // Another panel opening hides this one (one at a time): the button follows.
    new MutationObserver(() => this.button?.setAttribute("aria-expanded", String(this.isOpen)))
      .observe(this.root, { attributes: true, attributeFilter: ["hidden"] });
    this.root.addEventListener("keydown", (event) => {
      if (event.key === "Escape") { event.preventDefault(); this.close(); }
    });
  }

  get isOpen() { return !this.root.hidden; }

  toggle() { if (this.isOpen) this.close(); else this.open(); }

  open() {
    this.onOpen?.();
    this.dirty = false;
    this.draw();
    this.root.hidden = false;
    this.button?.setAttribute("aria-expanded", "true");
    this.root.querySelector("input, select, textarea")?.focus();
  }

  close({ focusButton = true } = {}) {
    if (!this.isOpen) return;
    this.root.hidden = true;
    this.root.replaceChildren();
    this.button?.setAttribute("aria-expanded", "false");
    if (focusButton) this.button?.focus();
  }

  /** The journey changed (a peer, or one's own save): redraw, unless a draft is being typed. */
  changed() {
    if (!this.isOpen || this.dirty) return;
    // Redrawn whole: the focus goes back to the control it was on.
    const focused = this.root.contains(document.activeElement) ? document.activeElement.name : null;
    this.draw();
    if (focused) this.root.querySelector(`[name="${CSS.escape(focused)}"]`)?.focus();
  }

  /** The persona the map follows now (the store holds it whole, beside the grid). */
  personaId() { return this.store.persona?.id ?? null; }

  personName(id) {
    return this.people.find((p) => p.id === id)?.name || `User #${id}`;
  }

  draw() {
    const journey = this.store.journey;
    this.collaborators = [...(journey.collaborators || [])];
    const form = h("form", { class: "settings-form", "aria-label": "Map settings" });
    form.addEventListener("input", () => { this.dirty = true; });
    form.addEventListener("submit", (event) => { event.preventDefault(); this.save(form); });

    for (const [name, text, tag] of TEXT_FIELDS) {
      const control = tag === "input"
        ? h("input", { type: "text", name, required: true, maxlength: 200 })
        : h("textarea", { name, rows: 3 });
      control.value = journey[name] || "";
      form.append(h("label", {}, text, control));
    }
    form.append(h("label", {}, "Persona", this.select("persona",
      [["", "— No persona —"], ...this.personas.map((p) => [String(p.id), p.name])], String(this.personaId() ?? ""))));
    form.append(h("div", { class: "row" },
      h("label", {}, "Status", this.select("status", this.choices.journeyStatuses, journey.status)),
      h("label", {}, "State", this.select("state", this.choices.journeyStates, journey.state))));
    form.append(this.accessFields(journey));
    form.append(h("div", { class: "panel-actions" },
      h("button", { type: "submit", class: "primary", text: "Save settings" }),
      h("button", { type: "button", text: "Cancel", onclick: () => this.close() })));

    this.root.replaceChildren(
      h("button", { type: "button", class: "close icon-btn", "aria-label": "Close settings", text: "×", onclick: () => this.close() }),
      h("h2", { text: "Map settings" }),
      form);
  }

  select(name, options, value) {
    const control = h("select", { name }, (options || []).map(([v, text]) => h("option", { value: v, text })));
    control.value = value ?? "";
    return control;
  }

  /** Owner, collaborators and restriction: editable by the owner or an admin only. */
  accessFields(journey) {
    const ownerId = journey.owner?.id ?? null;
    const fieldset = h("fieldset", { class: "settings-access", disabled: !this.canManage },
      h("legend", { text: "Who may see this map" }));
    if (!this.canManage) {
      fieldset.append(h("p", { class: "muted small", text: "Only the map's owner or an admin can change who may see it." }));
    }
    const owners = this.people.some((p) => p.id === ownerId) || ownerId === null
      ? this.people : [{ id: ownerId, name: journey.owner.name }, ...this.people];
    fieldset.append(h("label", {}, "Owner", this.select("owner",
      [...(ownerId === null ? [["", "Nobody"]] : []), ...owners.map((p) => [String(p.id), p.name])],
      ownerId === null ? "" : String(ownerId))));
    const restricted = h("input", { type: "checkbox", name: "is_restricted" });
    restricted.checked = Boolean(journey.is_restricted);
    fieldset.append(h("label", { class: "check" }, restricted,
      "Restricted: only the owner, the collaborators and admins see it"));

    const list = h("ul", { class: "collaborators", "aria-label": "Collaborators" });
    const choice = h("select", { "aria-label": "Person to add as a collaborator", name: "collaborator_choice" });
    const redraw = () => {
      list.replaceChildren(...(this.collaborators.length ? this.collaborators.map((id) => h("li", { dataset: { collaborator: id } },
        h("span", { text: this.personName(id) }),
        h("button", {
          type: "button", class: "icon-btn", "aria-label": `Remove ${this.personName(id)}`, text: "×",
          onclick: () => { this.collaborators = this.collaborators.filter((c) => c !== id); this.dirty = true; redraw(); choice.focus(); },
        }))) : [h("li", { class: "muted", text: "No collaborators yet." })]));
      const others = this.people.filter((p) => !this.collaborators.includes(p.id));
      choice.replaceChildren(h("option", { value: "", text: "Choose a person…" }),
        ...others.map((p) => h("option", { value: String(p.id), text: p.name })));
    };
    redraw();
    const add = () => {
      const id = Number(choice.value);
      if (!id) return;
      this.collaborators.push(id);
      this.dirty = true;
      redraw();
      choice.focus();
    };
    fieldset.append(h("h3", { text: "Collaborators" }), list,
      h("div", { class: "collaborator-add" }, choice, h("button", { type: "button", text: "Add", onclick: add })));
    return fieldset;
  }

  /** What the form changes, in the API's words (only fields that differ from the journey). */
  changes(form) {
    const journey = this.store.journey;
    const el = form.elements;
    const changes = {};
    for (const [name] of TEXT_FIELDS) {
      const value = el[name].value.trim();
      if (value !== (journey[name] || "")) changes[name] = value;
    }
    const persona = el.persona.value ? Number(el.persona.value) : null;
    if (persona !== this.personaId()) changes.persona = persona;
    for (const name of ["status", "state"]) if (el[name].value !== journey[name]) changes[name] = el[name].value;
    if (this.canManage) {
      const owner = el.owner.value ? Number(el.owner.value) : null;
      if (owner !== null && owner !== (journey.owner?.id ?? null)) changes.owner_id = owner;
      if (el.is_restricted.checked !== Boolean(journey.is_restricted)) changes.is_restricted = el.is_restricted.checked;
      const before = [...(journey.collaborators || [])].sort((a, b) => a - b);
      const after = [...this.collaborators].sort((a, b) => a - b);
      if (before.join() !== after.join()) changes.collaborators = after;
    }
    return changes;
  }

  async save(form) {
    const changes = this.changes(form);
    if (!Object.keys(changes).length) { this.close(); return; }
    if (changes.title === "") { this.notify("A map needs a title.", "error"); form.elements.title.focus(); return; }
    const saving = form.querySelector('button[type="submit"]');
    saving.disabled = true;
    try {
      const journey = await api.update("journey", this.journeyId, { ...changes, version: this.store.journey.version });
      this.dirty = false;
      // Another persona: the map's persona card comes with the whole map.
      if ("persona" in changes) this.store.load(await api.map(this.journeyId));
      else this.store.setJourney(journey);
      document.body.dataset.settingsSaves = Number(document.body.dataset.settingsSaves || 0) + 1;
      this.notify("Map settings saved.");
      this.close();
    } catch (error) {
      saving.disabled = false;
      if (error instanceof ApiError && error.status === 409) {
        // Someone else changed the settings first: show theirs, and keep nothing half-applied.
        this.notify(`${error.body.detail || "Someone else changed these settings first."} The panel now shows the saved settings.`, "error");
        this.store.load(await api.map(this.journeyId));
        this.dirty = false;
        this.draw();
      } else {
        this.notify(`The settings were not saved: ${error.message}`, "error");
      }
    }
  }
}
