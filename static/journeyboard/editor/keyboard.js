// Keyboard use of the grid (the ARIA grid pattern): one cell is in the tab order; arrow keys
// move between cells, Enter goes into a cell or edits an item, Escape steps back out.
// The phase and lane headers are the grid's first row and column (row or column -1): arrows
// reach them, Enter renames, Delete deletes, Tab reaches their buttons, Alt+arrows move them.
// Alt+arrows on an item move it: ← → to the next phase, ↑ ↓ within its cell.

const ITEM = ".item[data-kind]";
const HEAD = ".phase-head, .lane-head";
// What the arrow keys walk: the cells and the headers, each with its data-row and data-col.
const PLACE = `.cell, ${HEAD}`;
// The buttons of the active header join the tab order with it.
const HEAD_BUTTONS = ".drag-handle, .phase-details, .delete-structure";

export function wireKeyboard({ root, grid, editor, canEdit }) {
  let active = { row: 0, col: 0 };

  const cells = () => root.querySelectorAll(".cell");
  const cellAt = (row, col) => root.querySelector(`:is(${PLACE})[data-row="${row}"][data-col="${col}"]`);
  const rowCount = () => root.querySelectorAll(".lane").length;
  const colCount = () => root.querySelectorAll(".phase-head").length;

  function activate(cell, focus = true) {
    if (!cell) return;
    for (const other of root.querySelectorAll(`:is(${PLACE})[tabindex="0"], :is(${HEAD}) [tabindex="0"]`)) other.tabIndex = -1;
    cell.tabIndex = 0;
    if (cell.matches(HEAD)) for (const button of cell.querySelectorAll(HEAD_BUTTONS)) button.tabIndex = 0;
    active = { row: Number(cell.dataset.row), col: Number(cell.dataset.col) };
    if (focus) cell.focus();
  }

  // After every redraw keep exactly one cell (or header) in the tab order, where the user was.
  root.addEventListener("grid:rendered", () => {
    activate(cellAt(active.row, active.col) || cells()[0], false);
  });

  root.addEventListener("focusin", (event) => {
    const cell = event.target.closest(PLACE);
    if (cell && cell.tabIndex !== 0) activate(cell, false);
  });

  /** Alt+arrow on a phase or lane header (or its buttons): move it one place. */
  function moveHead(head, key) {
    const kind = head.matches(".phase-head") ? "phase" : "lane";
    const step = kind === "phase" ? { ArrowLeft: -1, ArrowRight: 1 }[key] : { ArrowUp: -1, ArrowDown: 1 }[key];
    if (!step) return false;
    const id = Number(head.dataset[kind]);
    const list = kind === "phase" ? editor.store.phases() : editor.store.lanes();
    const index = list.findIndex((item) => item.id === id) + step;
    if (index >= 0 && index < list.length) editor.moveItem(kind, id, { index });
    return true;
  }

  /** Alt+arrow on an item: ← → to the same lane of the phase beside, ↑ ↓ within its cell. */
  function moveItem(item, key) {
    const kind = item.dataset.kind;
    const id = Number(item.dataset.id);
    const current = editor.store.get(kind, id);
    if (!current) return;
    const lane = kind === "opportunity" ? undefined : current.lane;
    const siblings = editor.store.inCell(kind, current.phase, lane);
    const at = siblings.findIndex((other) => other.id === id);
    const step = { ArrowUp: -1, ArrowDown: 1 }[key];
    if (step) {
      const index = at + step;
      if (index >= 0 && index < siblings.length) editor.moveItem(kind, id, { phase: current.phase, lane, index });
      return;
    }
    const phases = editor.store.phases();
    const phase = phases[phases.findIndex((p) => p.id === current.phase) + (key === "ArrowLeft" ? -1 : 1)];
    if (!phase) return;
    // To the end of the cell beside, as a drop there would.
    editor.moveItem(kind, id, { phase: phase.id, lane, index: editor.store.inCell(kind, phase.id, lane).length });
  }

  root.addEventListener("keydown", (event) => {
    const target = event.target;
    if (target.matches("input, textarea, select")) return;
    const cell = target.closest(PLACE);
    if (!cell) return;
    const item = target.closest(ITEM);
    const head = cell.matches(HEAD) ? cell : null;
    const row = Number(cell.dataset.row);
    const col = Number(cell.dataset.col);
    const move = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] }[event.key];

    if (move && event.altKey) {
      if (!canEdit || !(head || item)) return;
      event.preventDefault();
      if (head) moveHead(head, event.key);
      else moveItem(item, event.key);
      return;
    }
    if (head) { headKey(event, head, move, row, col); return; }

    // On an emotion point, up and down change the score (emotions.js); left and right still move.
    const onSlider = target.matches('[role="slider"]');
    if (move && !(onSlider && move[0] !== 0)) {
      // Within a cell, up and down walk its items before leaving it.
      if (item && move[0] !== 0) {
        const sibling = move[0] < 0 ? item.previousElementSibling : item.nextElementSibling;
        if (sibling?.matches(ITEM)) { event.preventDefault(); sibling.focus(); return; }
      }
      // Up from the first lane reaches the phase's header, left from the first phase the lane's.
      const next = cellAt(Math.max(-1, Math.min(rowCount() - 1, row + move[0])), Math.max(-1, Math.min(colCount() - 1, col + move[1])));
      if (next) { event.preventDefault(); activate(next); }
      return;
    }
    if (event.key === "Enter") {
      event.preventDefault();
      if (item) { openItem(item); return; }
      const first = cell.querySelector(`${ITEM}, [role="slider"]`);
      if (first) first.focus();
      else if (canEdit && cell.dataset.kind) grid.startAdding(cell, cell.dataset.kind);
      return;
    }
    if (event.key === "Escape" && target !== cell) { event.preventDefault(); activate(cell); return; }
    if (canEdit && item && (event.key === "Delete" || event.key === "Backspace")) {
      event.preventDefault();
      activate(cell);
      editor.deleteItem(item.dataset.kind, Number(item.dataset.id));
      return;
    }
    if (canEdit && target === cell && (event.key === "+" || event.key === "n") && cell.dataset.kind) {
      event.preventDefault();
      grid.startAdding(cell, cell.dataset.kind);
    }
  });

  /** Keys on a phase or lane header (or on one of its buttons). */
  function headKey(event, head, move, row, col) {
    const onHead = event.target === head;
    if (move) {
      // Arrows walk the headers and lead back into the grid; the corner is no place.
      const next = [Math.max(-1, Math.min(rowCount() - 1, row + move[0])), Math.max(-1, Math.min(colCount() - 1, col + move[1]))];
      event.preventDefault();
      if (next[0] === -1 && next[1] === -1) return;
      activate(cellAt(...next));
      return;
    }
    if (!canEdit) return;
    if (onHead && (event.key === "Enter" || event.key === "F2")) {
      event.preventDefault();
      head.querySelector(".name")?.click();
    } else if (event.key === "Delete" || (onHead && event.key === "Backspace")) {
      event.preventDefault();
      head.querySelector(".delete-structure")?.click();
    } else if (event.key === "Escape" && !onHead) {
      event.preventDefault();
      activate(head);
    }
  }

  function openItem(item) {
    const kind = item.dataset.kind;
    const id = Number(item.dataset.id);
    if (kind === "card") { if (canEdit) grid.editCard(item, editor.store.get("card", id)); }
    else grid.panels.open(kind, id);
  }

  // Undo and redo anywhere on the page, except while typing.
  document.addEventListener("keydown", (event) => {
    if (!canEdit || !(event.ctrlKey || event.metaKey)) return;
    if (event.target.matches?.("input, textarea, select")) return;
    const key = event.key.toLowerCase();
    if (key === "z" && !event.shiftKey) { event.preventDefault(); editor.undo(); }
    else if ((key === "z" && event.shiftKey) || key === "y") { event.preventDefault(); editor.redo(); }
  });
}
