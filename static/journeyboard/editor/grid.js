// Drawing the grid: phases as columns, lanes as rows, each cell with its items.
// Everything user-written goes in as text (see dom.js), never as HTML.
//
// Keyed rendering: each render builds the grid afresh and morphdom brings the page's grid to
// match it, node by node, matching elements by their data-key. Elements that did not change
// stay as they are, so focus, scroll, SortableJS instances and a half-typed draft survive a
// peer's edit. Two consequences for the code below:
// - a listener stays with the first element of its key, so it closes over ids only and reads
//   the item from the store when it fires (a closed-over item would be stale after an edit);
// - whatever holds the user's typing is marked `.editing` and left alone until they finish.

import morphdom from "../../vendor/morphdom-2.7.8/morphdom-esm.js";
import Sortable from "../../vendor/sortablejs-1.15.7/sortable.esm.js";
import { cssPixels, editInPlace, h } from "./dom.js";
import { emotionCells } from "./emotions.js";
import { metricPills } from "./voc.js";

const CHANNEL_ICON = {
  website: "🌐", mobile_app: "📱", email: "✉️", phone: "📞", chat: "💬", social: "📣",
  sms: "📨", in_person: "🤝", customer_portal: "🔐", other: "•",
};

/** What a lane of each kind holds. */
export function laneContent(kind) {
  if (kind === "emotions") return "emotion";
  if (kind === "touchpoints") return "touchpoint";
  if (kind === "opportunities") return "opportunity";
  return "card";
}

// The kinds that live in one cell each (opportunities: in their phase's opportunity cells): a
// change of only these redraws only the cells concerned.
const CELL_KINDS = new Set(["card", "touchpoint", "opportunity"]);

/** Leave alone what holds the user's typing: an item or name being edited, a form field. */
function keepsTyping(el) {
  return el.classList.contains("editing") || el.matches("input, textarea, select");
}

// How the page's grid is brought to a freshly built copy: elements matched by data-key, and
// whatever holds the user's typing (or is a new item's draft) left as it is.
const MORPH = {
  getNodeKey: (node) => node.dataset?.key,
  onBeforeElUpdated: (from) => !keepsTyping(from),
  onBeforeNodeDiscarded: (node) => !(node.nodeType === Node.ELEMENT_NODE && node.matches(".editing")),
};

export class Grid {
  constructor({ root, store, editor, canEdit, choices, panels }) {
    this.root = root;
    this.store = store;
    this.editor = editor;
    this.canEdit = canEdit;
    this.choices = choices;
    this.panels = panels;
    this.labels = Object.fromEntries(
      ["laneKinds", "channels", "departments", "opportunityStatuses"].map((k) => [k, Object.fromEntries(choices[k])]),
    );
    this.sortables = new Map(); // list element → its Sortable, kept for as long as the list
    this.dragging = false;
    this.stale = false; // a render was put off while dragging
  }

  // --- The whole grid -------------------------------------------------------------------------

  /**
   * Draw what the store's ``changes`` touch. When only cards, touchpoints or opportunities
   * changed (nearly every edit), only the cells they left and entered are drawn again: on a
   * 1,000-card map a peer's edit then costs a few milliseconds, not a whole grid (~90 ms).
   */
  update(changes) {
    const cells = new Set();
    for (const change of changes) {
      const [kind, id] = change.split(":");
      if (!CELL_KINDS.has(kind)) { this.render(); return; }
      for (const el of this.root.querySelectorAll(`.item[data-kind="${kind}"][data-id="${id}"]`)) cells.add(el.closest(".cell"));
      const item = this.store.get(kind, Number(id));
      if (item) for (const el of this.cellsOf(kind, item)) cells.add(el);
    }
    this.draw(() => { for (const cell of cells) this.redrawCell(cell); });
  }

  cellsOf(kind, item) {
    const lane = kind === "opportunity" ? "" : `[data-lane="${item.lane}"]`;
    return this.root.querySelectorAll(`.cell[data-kind="${kind}"][data-phase="${item.phase}"]${lane}`);
  }

  redrawCell(el) {
    const phase = this.store.get("phase", Number(el.dataset.phase));
    const lane = this.store.get("lane", Number(el.dataset.lane));
    const kind = el.dataset.kind;
    const items = this.store.inCell(kind, phase.id, lane.id);
    morphdom(el, this.cell(kind, phase, lane, items, Number(el.dataset.col), Number(el.dataset.row)), MORPH);
  }

  render() {
    this.draw(() => this.drawGrid());
  }

  /** Change the grid with ``work``, keeping the focus and the one Sortable per list. */
  draw(work) {
    // Mid-drag, SortableJS owns the dragged node's place: draw when the drop is settled.
    if (this.dragging) { this.stale = true; return; }
    this.stale = false;
    const focused = document.activeElement;
    const focusKey = this.root.contains(focused) ? focused.closest("[data-key]")?.dataset.key : null;
    work();
    if (this.canEdit) this.keepSortables();
    // The focused node can go (a finished edit's field, say): focus the item or cell it was in,
    // as a keyboard user expects.
    if (focusKey && !this.root.contains(document.activeElement)) {
      this.root.querySelector(`[data-key="${CSS.escape(focusKey)}"]`)?.focus({ preventScroll: true });
    }
    this.root.dispatchEvent(new CustomEvent("grid:rendered", { bubbles: true }));
  }

  drawGrid() {
    const phases = this.store.phases();
    const lanes = this.store.lanes();
    this.columnWidth = cssPixels("--col", 232);
    this.groups = {
      card: this.store.grouped("card"),
      touchpoint: this.store.grouped("touchpoint"),
      opportunity: this.store.grouped("opportunity"),
    };
    // An opportunity shows once, in its own Opportunities lane (none named: the first).
    this.firstOpportunityLane = lanes.find((lane) => lane.kind === "opportunities")?.id;
    const next = h("div", {},
      this.headRow(phases),
      h("div", { class: "lane-rows", role: "rowgroup", dataset: { key: "lane-rows" } },
        lanes.map((lane, r) => this.laneRow(lane, phases, r))),
      this.canEdit ? this.addLaneRow(lanes.length + 2) : null);
    morphdom(this.root, next, { ...MORPH, childrenOnly: true });
    this.root.setAttribute("aria-rowcount", lanes.length + (this.canEdit ? 2 : 1));
    this.root.setAttribute("aria-colcount", phases.length + 1);
  }

  /** One Sortable per list for the list's life: new lists get one, removed lists lose theirs. */
  keepSortables() {
    for (const [list, sortable] of this.sortables) {
      if (!list.isConnected) { sortable.destroy(); this.sortables.delete(list); }
    }
    const dragging = {
      onStart: () => { this.dragging = true; },
      forceFallback: true,
      animation: 120,
    };
    const wanted = [
      [this.root.querySelector(".grid-head"), { draggable: ".phase-head", handle: ".drag-handle", kind: "phase" }],
      [this.root.querySelector(".lane-rows"), { draggable: ".lane", handle: ".lane-drag", kind: "lane" }],
      ...[...this.root.querySelectorAll(".items[data-kind]")].map((list) => [list, {
        group: list.dataset.kind, draggable: ".item", kind: list.dataset.kind,
        filter: ".editing, button, textarea, input", preventOnFilter: false,
      }]),
    ];
    for (const [list, { kind, ...options }] of wanted) {
      if (!list || this.sortables.has(list)) continue;
      this.sortables.set(list, Sortable.create(list, {
        ...dragging, ...options, onEnd: (event) => this.dropped(event, kind),
      }));
    }
  }

  headRow(phases) {
    const row = h("div", { class: "grid-row grid-head", role: "row", "aria-rowindex": 1, dataset: { key: "head" } },
      h("div", { class: "corner", role: "columnheader", text: "Lanes \\ Phases" }));
    phases.forEach((phase, c) => {
      // Row -1 of the keyboard's grid (keyboard.js): arrows reach it, its buttons join the tab
      // order while it is the active place.
      const head = h("div", {
        class: "phase-head", role: "columnheader", "aria-colindex": c + 2, tabindex: "-1",
        dataset: { key: `phase-${phase.id}`, phase: phase.id, row: -1, col: c }, title: phase.customer_goal || phase.description || "",
      });
      if (this.canEdit) head.append(this.dragHandle("phase", phase, "Alt+ArrowLeft Alt+ArrowRight", "Alt+← / Alt+→"));
      head.append(h("span", { class: "index", text: `${c + 1}` }));
      head.append(this.nameField("phase", phase));
      // The phase's description and customer goal, in the side panel (read-only for viewers).
      head.append(h("button", {
        // In the tab order only while its header is the active one, like the header's other
        // buttons (keyboard.js): one tab stop per header, not three per phase.
        type: "button", class: "icon-btn phase-details", tabindex: "-1", dataset: { key: `phase-details-${phase.id}` },
        "aria-label": `${this.canEdit ? "Edit the description and customer goal of" : "Description and customer goal of"} phase ${phase.name}`,
        text: "✎", onclick: () => this.panels.open("phase", phase.id),
      }));
      if (this.canEdit) head.append(this.deleteButton("phase", phase));
      row.append(head);
    });
    if (this.canEdit) {
      // A cell of the header row: a grid's row holds only cells (axe: aria-required-children).
      row.append(h("div", { class: "add-col", role: "gridcell", dataset: { key: "add-phase" } },
        h("button", { type: "button", class: "add-phase", onclick: () => this.addPhase(), text: "+ Phase" })));
    }
    return row;
  }

  laneRow(lane, phases, r) {
    const content = laneContent(lane.kind);
    const row = h("div", {
      class: `grid-row lane lane-${lane.kind}`, role: "row", "aria-rowindex": r + 2,
      dataset: { lane: lane.id, key: `lane-row-${lane.id}` },
    });
    const head = h("div", { class: "lane-head", role: "rowheader", tabindex: "-1", dataset: { key: `lane-${lane.id}`, lane: lane.id, row: r, col: -1 } },
      h("div", { class: "top" },
        this.canEdit ? this.dragHandle("lane", lane, "Alt+ArrowUp Alt+ArrowDown", "Alt+↑ / Alt+↓") : null,
        this.nameField("lane", lane),
        this.canEdit ? this.deleteButton("lane", lane) : null),
      h("span", { class: "kind", text: this.labels.laneKinds[lane.kind] || lane.kind }));
    row.append(head);
    if (content === "emotion") {
      row.append(emotionCells({
        phases, lane, store: this.store, canEdit: this.canEdit, columnWidth: this.columnWidth,
        cellAttrs: (phase) => this.cellAttrs(phase, lane, phases.indexOf(phase), r),
        onSet: (phaseId, score, emoji, label) => this.editor.setEmotion(phaseId, score, emoji, label),
      }));
      return row;
    }
    phases.forEach((phase, c) => {
      const key = content === "opportunity" ? `${phase.id}` : `${phase.id}:${lane.id}`;
      let items = this.groups[content].get(key) || [];
      if (content === "opportunity") items = items.filter((o) => (o.lane ?? this.firstOpportunityLane) === lane.id);
      row.append(this.cell(content, phase, lane, items, c, r));
    });
    return row;
  }

  cellAttrs(phase, lane, c, r) {
    return {
      // No aria-label: it would hide the cell's cards from its name; the grid's column and row
      // headers already say which phase and lane a cell is in.
      class: "cell", role: "gridcell", tabindex: "-1", "aria-colindex": c + 2,
      dataset: { key: `cell-${phase.id}-${lane.id}`, phase: phase.id, lane: lane.id, row: r, col: c },
    };
  }

  /** A cell (column ``c``, row ``r``) holding ``items`` of one kind, in order. */
  cell(kind, phase, lane, items, c, r) {
    const cell = h("div", this.cellAttrs(phase, lane, c, r));
    cell.dataset.kind = kind;
    const list = h("div", { class: "items", role: "list", dataset: { phase: phase.id, lane: lane.id, kind } });
    for (const item of items) list.append(this.item(kind, item, lane));
    cell.append(list);
    if (this.canEdit) {
      cell.append(h("button", {
        type: "button", class: "add-item", tabindex: "-1",
        onclick: (event) => this.startAdding(event.currentTarget.closest(".cell"), kind),
        text: `+ ${kind === "card" ? "Add" : kind === "touchpoint" ? "Touchpoint" : "Opportunity"}`,
      }));
    }
    return cell;
  }

  // --- Items ----------------------------------------------------------------------------------

  item(kind, item, lane) {
    const id = item.id;
    const key = `${kind}-${id}`;
    const attrs = { role: "listitem", tabindex: "-1", dataset: { key, id, kind } };
    let el;
    if (kind === "card") {
      el = h("div", { ...attrs, class: `item card${item.color ? ` color-${item.color}` : ""}` },
        h("span", { class: "text", text: item.text }));
      if (item.tag) el.append(h("span", { class: "pill", text: ` #${item.tag}` }));
    } else if (kind === "touchpoint") {
      const channel = this.labels.channels[item.channel] || item.channel;
      const department = this.labels.departments[item.department] || item.department;
      el = h("div", { ...attrs, class: `item touchpoint${item.is_moment_that_matters ? " mtm" : ""}`, "aria-label": `${item.name}, ${channel}, ${department}${item.is_moment_that_matters ? ", moment that matters" : ""}` },
        h("span", { class: "tp-name" },
          h("span", { class: "channel-icon", title: channel, "aria-hidden": "true", text: `${CHANNEL_ICON[item.channel] || "•"} ` }),
          item.name,
          item.is_moment_that_matters ? h("span", { class: "mtm-mark", title: "Moment that matters", "aria-hidden": "true", text: " ★" }) : null),
        h("span", { class: "tp-meta", text: `${channel} · ${department}` }));
      const metrics = this.store.touchpointMetrics(item.id);
      if (metrics?.responses) el.append(metricPills(metrics));
      el.addEventListener("click", () => this.panels.open("touchpoint", id));
    } else {
      const level = item.priority_level;
      el = h("div", { ...attrs, class: `item opportunity op-status-${item.status}` },
        h("span", { class: "op-title", text: item.title }),
        h("span", { class: "op-meta" },
          h("span", { class: "pill", title: "Impact (1–5)", text: `Impact ${item.impact}` }),
          h("span", { class: "pill", title: "Effort (1–5)", text: `Effort ${item.effort}` }),
          h("span", { class: `pill prio-${level}`, title: `Priority ${item.priority}/25`, text: `${level} priority` }),
          h("span", { class: "pill status", text: this.labels.opportunityStatuses[item.status] || item.status })));
      el.addEventListener("click", () => this.panels.open("opportunity", id));
    }
    if (this.canEdit) {
      el.append(h("button", {
        type: "button", class: "icon-btn delete", tabindex: "-1", "aria-label": `Delete ${kind}`, text: "×",
        onclick: (event) => { event.stopPropagation(); this.editor.deleteItem(kind, id); },
      }));
      if (kind === "card") el.addEventListener("dblclick", () => this.editCard(el, this.store.get("card", id)));
    }
    return el;
  }

  /** Edit a card's text in place: Enter saves, Shift+Enter breaks the line, Escape cancels. */
  editCard(el, card) {
    if (!card || el.classList.contains("editing")) return;
    const input = h("textarea", { "aria-label": "Card text", rows: 3 });
    input.value = card.text;
    el.replaceChildren(input);
    el.classList.add("editing");
    editInPlace(input, (text, save) => {
      // The edit names the version the user started from: a peer's change meanwhile is refused
      // with who made it, never overwritten.
      const saving = save && text && text !== card.text
        ? this.editor.editItem("card", card.id, { text }, card.version) : null;
      // What was typed shows at once; the store's copy replaces it when the save is settled.
      // Enter keeps the keyboard user on the card (a blur went elsewhere: leave it there).
      if (saving) {
        const focused = el.contains(document.activeElement);
        el.replaceChildren(h("span", { class: "text", text }));
        if (focused) el.focus({ preventScroll: true });
      }
      this.finishEditing(el, saving);
    });
    input.select();
  }

  /** Typing in ``el`` is over: once its save (if any) is settled, draw it from the store again. */
  finishEditing(el, saving) {
    const done = () => { el.classList.remove("editing"); this.render(); };
    if (saving) saving.then(done, done);
    else done();
  }

  /** A new item typed in place at the end of a cell. */
  startAdding(cell, kind) {
    const list = cell.querySelector(".items");
    const placeholder = { card: "What happens here?", touchpoint: "Touchpoint name", opportunity: "Opportunity title" }[kind];
    const input = h("textarea", { rows: 2, placeholder, "aria-label": placeholder });
    const draft = h("div", { class: "item editing" }, input);
    list.append(draft);
    editInPlace(input, (text, save) => {
      cell.focus({ preventScroll: true }); // keep the keyboard user in this cell
      draft.remove();
      if (!save || !text) return;
      const phase = Number(cell.dataset.phase);
      const lane = Number(cell.dataset.lane);
      const fields = {
        card: { phase, lane, text },
        touchpoint: { phase, lane, name: text },
        opportunity: { phase, lane, title: text },
      }[kind];
      this.editor.addItem(kind, fields);
    });
  }

  // --- Phases and lanes -----------------------------------------------------------------------

  nameField(kind, item) {
    const name = h("span", { class: "name", text: item.name });
    if (!this.canEdit) return name;
    const id = item.id;
    name.tabIndex = -1;
    name.title = `Rename ${kind}`;
    name.addEventListener("click", () => this.rename(kind, id, name));
    name.addEventListener("keydown", (event) => { if (event.key === "Enter") { event.preventDefault(); this.rename(kind, id, name); } });
    return name;
  }

  rename(kind, id, name) {
    const item = this.store.get(kind, id);
    const head = name.closest("[data-key]");
    if (!item || head.classList.contains("editing")) return;
    const input = h("input", { type: "text", value: item.name, "aria-label": `${kind} name`, maxlength: 120 });
    name.replaceWith(input);
    head.classList.add("editing");
    editInPlace(input, (value, save) => {
      const saving = save && value && value !== item.name
        ? this.editor.editItem(kind, item.id, { name: value }, item.version) : null;
      this.finishEditing(head, saving);
    });
    input.select();
  }

  /** A phase's or lane's drag handle; from the keyboard, Alt+arrows move it (keyboard.js). */
  dragHandle(kind, item, shortcuts, keys) {
    return h("button", {
      type: "button", class: `drag-handle${kind === "lane" ? " lane-drag" : ""}`, tabindex: "-1",
      "aria-label": `Move ${kind} ${item.name}: drag, or ${keys}`, "aria-keyshortcuts": shortcuts,
      title: `Drag to move, or ${keys}`, text: "⠿",
    });
  }

  deleteButton(kind, item) {
    const id = item.id;
    return h("button", {
      type: "button", class: "icon-btn delete-structure", tabindex: "-1", "aria-label": `Delete ${kind} ${item.name}`, text: "×",
      onclick: async () => {
        const { name } = this.store.get(kind, id);
        const held = this.store.contents(kind, id);
        const words = Object.entries(held).map(([word, n]) => `${n.toLocaleString("en")} ${n === 1 ? word.replace(/s$/, "").replace(/ie$/, "y") : word}`);
        if (!words.length) { this.editor.deleteItem(kind, id); return; }
        const sure = await this.editor.confirm({
          title: `Delete the ${kind} “${name}”?`,
          message: `It still holds ${words.join(", ")}. Delete it with everything in it? This cannot be undone${held["survey responses"] ? "; the survey responses are kept, unmatched" : ""}.`,
        });
        if (sure) this.editor.deleteStructure(kind, id, { cascade: true });
      },
    });
  }

  addPhase() {
    this.editor.addItem("phase", { name: "New phase" });
  }

  /** The new-lane form (its fields are left alone by renders: what is typed there stays). */
  addLaneRow(rowIndex) {
    const kinds = h("select", { "aria-label": "Kind of the new lane" },
      this.choices.laneKinds.map(([value, label]) => h("option", { value, text: label })));
    const name = h("input", { type: "text", placeholder: "New lane name", "aria-label": "New lane name", maxlength: 120 });
    const add = () => {
      const label = this.labels.laneKinds[kinds.value];
      this.editor.addItem("lane", { name: name.value.trim() || label, kind: kinds.value });
    };
    name.addEventListener("keydown", (event) => { if (event.key === "Enter") add(); });
    // A row of one cell: a grid holds only rows (axe: aria-required-children).
    return h("div", { class: "add-lane-row", role: "row", "aria-rowindex": rowIndex, dataset: { key: "add-lane" } },
      h("div", { class: "add-lane", role: "gridcell" }, name, kinds, h("button", { type: "button", class: "add-lane-button", onclick: add, text: "+ Lane" })));
  }

  /** A drag ended: save the move, then draw the grid from the server's answer. */
  dropped(event, kind) {
    this.dragging = false;
    const index = event.newDraggableIndex;
    if (event.from === event.to && event.oldDraggableIndex === index) {
      if (this.stale) this.render();
      return;
    }
    const id = Number(kind === "phase" ? event.item.dataset.phase : kind === "lane" ? event.item.dataset.lane : event.item.dataset.id);
    const target = { index };
    if (kind === "card" || kind === "touchpoint") {
      target.phase = Number(event.to.dataset.phase);
      target.lane = Number(event.to.dataset.lane);
    } else if (kind === "opportunity") {
      target.phase = Number(event.to.dataset.phase);
    }
    // Until the answer, the item stays where it was dropped; then the store has it (or, if the
    // move was refused, the map as saved) and the grid follows.
    const settled = () => this.render();
    this.editor.moveItem(kind, id, target).then(settled, settled);
  }
}
