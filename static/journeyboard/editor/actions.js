// What an editor does to the map. Each action is saved through the API before the grid shows it
// (drags are redrawn from the server's answer), and records how to undo and redo itself. Answers
// go into the store like live events do, merged by version: the store tells the grid.

import { ApiError, api } from "./api.js";

// The fields that recreate a deleted item exactly (undo of a delete).
const FIELDS = {
  card: ["phase", "lane", "text", "color", "tag"],
  touchpoint: ["phase", "lane", "name", "channel", "department", "description", "is_moment_that_matters", "code"],
  opportunity: ["phase", "touchpoint", "title", "description", "impact", "effort", "status", "owner", "due_date", "kpi", "target"],
  emotion: ["phase", "score", "label", "emoji", "note"],
  phase: ["name", "description", "customer_goal"],
  lane: ["name", "kind"],
};

export const NOUN = {
  card: "card", touchpoint: "touchpoint", opportunity: "opportunity", emotion: "emotion",
  phase: "phase", lane: "lane", journey: "journey",
};

const pick = (item, keys) => Object.fromEntries(keys.map((k) => [k, item[k]]));

/** Undo and redo of one's own actions; an entry's functions always act on current ids. */
class History {
  constructor(onChange) {
    this.done = [];
    this.undone = [];
    this.onChange = onChange;
  }
  push(entry) { this.done.push(entry); this.undone = []; this.onChange(); }
  clear() { this.done = []; this.undone = []; this.onChange(); }
  get canUndo() { return this.done.length > 0; }
  get canRedo() { return this.undone.length > 0; }
}

/** An item as history knows it: recreating it after a delete gives it a new id. */
class Refs {
  constructor() { this.refs = new Map(); }
  of(kind, id) {
    const key = `${kind}:${id}`;
    if (!this.refs.has(key)) this.refs.set(key, { kind, id });
    return this.refs.get(key);
  }
  rebind(ref, id) {
    this.refs.delete(`${ref.kind}:${ref.id}`);
    ref.id = id;
    this.refs.set(`${ref.kind}:${id}`, ref);
  }
}

// A delete the server refuses until it is confirmed (a touchpoint holding survey responses
// or linked opportunities): its answer names what would go, and the user decides.
const needsConfirming = (error) =>
  error instanceof ApiError && error.status === 409 && error.body.code === "confirm_required";

export class Editor {
  /** ``confirm({title, message})`` resolves true when the user agrees (editor/confirm.js). */
  constructor({ store, journeyId, notify, onSaving, onHistory, confirm = async () => false }) {
    this.store = store;
    this.confirm = confirm;
    this.journeyId = journeyId;
    this.notify = notify;
    this.onSaving = onSaving;
    this.history = new History(() => onHistory(this.history));
    this.refs = new Refs();
    this.busy = Promise.resolve();
  }

  // --- Saving: one change at a time, and on any refusal back to the server's map -------------

  /** Run ``work`` after the changes before it; on failure, back to the server's map. */
  perform(work) {
    const run = async () => {
      this.onSaving("saving");
      try {
        const result = await work();
        this.onSaving("saved");
        return result;
      } catch (error) {
        await this.recover(error);
        return undefined;
      }
    };
    this.busy = this.busy.then(run, run);
    return this.busy;
  }

  async recover(error) {
    this.onSaving("failed");
    let message = error instanceof ApiError ? error.message : "Something went wrong while saving.";
    if (error instanceof ApiError && error.status === 409 && error.body.code === "version_conflict") {
      message = `${error.body.detail} The map now shows the saved version.`;
    }
    this.notify(message, "error");
    try {
      this.store.load(await api.map(this.journeyId));
    } catch {
      this.notify("The map could not be reloaded; refresh the page.", "error");
    }
    this.store.redraw();
  }

  // --- The four primitive changes, each keeping the store equal to the server -----------------
  // An answer can arrive after a peer's newer version of the same item came over the socket:
  // the store keeps the newer one, and these return the answer (what this edit saved).

  async create(kind, fields, index) {
    const body = { journey: this.journeyId, ...fields };
    if (index !== undefined && index !== null) body.index = index;
    const item = await api.create(kind, body);
    this.store.apply(kind, item);
    await this.checkOrder(kind, item, index);
    return item;
  }

  /** ``baseVersion``: the version the user saw when they began editing (default: the latest). */
  async update(kind, id, changes, baseVersion) {
    const version = baseVersion ?? this.store.get(kind, id).version;
    const item = await api.update(kind, id, { ...changes, version });
    this.store.apply(kind, item);
    return item;
  }

  async move(kind, id, target) {
    const current = this.store.get(kind, id);
    const item = await api.move(kind, id, { ...target, version: current.version });
    this.store.apply(kind, item);
    await this.checkOrder(kind, item, target.index);
    return item;
  }

  async remove(kind, id, params = {}) {
    const current = this.store.get(kind, id);
    await api.remove(kind, id, { version: current.version, ...params });
    this.store.drop(kind, id);
  }

  /** When the server renumbered a cell to make room, our positions are stale: reload them. */
  async checkOrder(kind, item, index) {
    if (index === undefined || index === null) return;
    const siblings = this.siblings(kind, item);
    const expected = Math.min(index, siblings.length - 1);
    if (siblings[expected]?.id !== item.id) this.store.load(await api.map(this.journeyId));
  }

  siblings(kind, item) {
    if (kind === "phase") return this.store.phases();
    if (kind === "lane") return this.store.lanes();
    return this.store.inCell(kind, item.phase, item.lane);
  }

  indexOf(kind, item) {
    return this.siblings(kind, item).findIndex((i) => i.id === item.id);
  }

  placement(kind, item) {
    const target = { index: this.indexOf(kind, item) };
    if (item.phase !== undefined && kind !== "emotion") target.phase = item.phase;
    if (item.lane !== undefined) target.lane = item.lane;
    return target;
  }

  // --- User actions (undoable) ----------------------------------------------------------------

  addItem(kind, fields, index) {
    return this.perform(async () => {
      const item = await this.create(kind, fields, index);
      const ref = this.refs.of(kind, item.id);
      const snapshot = { ...pick(item, FIELDS[kind]) };
      const at = this.indexOf(kind, item);
      this.history.push({
        label: `add ${NOUN[kind]}`,
        undo: () => this.remove(kind, ref.id),
        redo: async () => this.refs.rebind(ref, (await this.create(kind, snapshot, at)).id),
      });
      return item;
    });
  }

  /** Save an edit based on ``baseVersion`` (what the form or field showed when editing began):
   *  if someone else saved meanwhile, the server refuses it rather than overwrite their change. */
  editItem(kind, id, changes, baseVersion) {
    const before = pick(this.store.get(kind, id), Object.keys(changes));
    const ref = this.refs.of(kind, id);
    return this.perform(async () => {
      const item = await this.update(kind, id, changes, baseVersion);
      this.history.push({
        label: `edit ${NOUN[kind]}`,
        undo: () => this.update(kind, ref.id, before),
        redo: () => this.update(kind, ref.id, changes),
      });
      return item;
    });
  }

  moveItem(kind, id, target) {
    const from = this.placement(kind, this.store.get(kind, id));
    const ref = this.refs.of(kind, id);
    return this.perform(async () => {
      const item = await this.move(kind, id, target);
      this.history.push({
        label: `move ${NOUN[kind]}`,
        undo: () => this.move(kind, ref.id, from),
        redo: () => this.move(kind, ref.id, target),
      });
      return item;
    });
  }

  /** Delete an item (undo re-creates it: a touchpoint with its code, which takes back its
   *  responses and opportunity links). ``ask``: a question to confirm first (the side panel
   *  asks before deleting a card or an opportunity). */
  deleteItem(kind, id, { ask } = {}) {
    const item = this.store.get(kind, id);
    const snapshot = pick(item, FIELDS[kind]);
    const at = kind === "emotion" ? undefined : this.indexOf(kind, item);
    const ref = this.refs.of(kind, id);
    return this.perform(async () => {
      if (ask && !(await this.confirm(ask))) return;
      try {
        await this.remove(kind, id);
      } catch (error) {
        if (!needsConfirming(error)) throw error;
        const sure = await this.confirm({ title: `Delete this ${NOUN[kind]}?`, message: error.body.detail });
        if (!sure) return;
        await this.remove(kind, id, { confirm: "true" });
      }
      this.history.push({
        label: `delete ${NOUN[kind]}`,
        undo: async () => this.refs.rebind(ref, (await this.create(kind, snapshot, at)).id),
        // Redone, it was confirmed once already.
        redo: () => this.remove(kind, ref.id, kind === "touchpoint" ? { confirm: "true" } : {}),
      });
    });
  }

  /** Set the team's emotion for a phase: creates it the first time, then edits it. */
  setEmotion(phaseId, score, emoji, label) {
    const existing = this.store.teamEmotion(phaseId);
    if (existing) {
      if (existing.score === score) return Promise.resolve(existing);
      return this.editItem("emotion", existing.id, { score, emoji, label });
    }
    return this.addItem("emotion", { phase: phaseId, score, emoji, label });
  }

  /** Delete a phase or lane; with content (after the user agreed) it goes too, for good. */
  deleteStructure(kind, id, { cascade }) {
    if (!cascade) return this.deleteItem(kind, id);
    return this.perform(async () => {
      await this.remove(kind, id, { cascade: "true" });
      // What went with it cannot come back through undo: forget entries that point at it.
      this.store.load(await api.map(this.journeyId));
      this.history.clear();
    });
  }

  setPersona(personaId) {
    const before = this.store.persona?.id ?? null;
    const change = async (persona) => {
      const journey = await api.update("journey", this.journeyId, {
        persona, version: this.store.journey.version,
      });
      this.store.setJourney(journey);
      this.store.load(await api.map(journey.id));
    };
    return this.perform(async () => {
      await change(personaId);
      this.history.push({ label: "change persona", undo: () => change(before), redo: () => change(personaId) });
    });
  }

  // --- Undo and redo ----------------------------------------------------------------------------

  undo() { return this.replay(this.history.done, this.history.undone, "undo"); }
  redo() { return this.replay(this.history.undone, this.history.done, "redo"); }

  replay(from, to, direction) {
    return this.perform(async () => {
      const entry = from.pop();
      if (!entry) return;
      try {
        await entry[direction]();
      } finally {
        this.history.onChange();
      }
      to.push(entry);
      this.history.onChange();
      this.notify(`${direction === "undo" ? "Undid" : "Redid"} ${entry.label}.`);
    });
  }
}
