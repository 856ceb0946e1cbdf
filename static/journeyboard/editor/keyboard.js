// Keyboard use of the grid (the ARIA grid pattern): one cell is in the tab order; arrow keys
// move between cells, Enter goes into a cell or edits an item, Escape steps back out.

const ITEM = ".item[data-kind]";

export function wireKeyboard({ root, grid, editor, canEdit }) {
  let active = { row: 0, col: 0 };

  const cells = () => root.querySelectorAll(".cell");
  const cellAt = (row, col) => root.querySelector(`.cell[data-row="${row}"][data-col="${col}"]`);
  const rowCount = () => root.querySelectorAll(".lane").length;
  const colCount = () => root.querySelectorAll(".phase-head").length;

  function activate(cell, focus = true) {
    if (!cell) return;
    for (const other of root.querySelectorAll('.cell[tabindex="0"]')) other.tabIndex = -1;
    cell.tabIndex = 0;
    active = { row: Number(cell.dataset.row), col: Number(cell.dataset.col) };
    if (focus) cell.focus();
  }

  // After every redraw keep exactly one cell in the tab order, where the user was.
  root.addEventListener("grid:rendered", () => {
    activate(cellAt(active.row, active.col) || cells()[0], false);
  });

  root.addEventListener("focusin", (event) => {
    const cell = event.target.closest(".cell");
    if (cell && cell.tabIndex !== 0) activate(cell, false);
  });

  root.addEventListener("keydown", (event) => {
    const target = event.target;
    if (target.matches("input, textarea, select")) return;
    const cell = target.closest(".cell");
    if (!cell) return;
    const item = target.closest(ITEM);
    const row = Number(cell.dataset.row);
    const col = Number(cell.dataset.col);
    const move = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] }[event.key];

    // On an emotion point, up and down change the score (emotions.js); left and right still move.
    const onSlider = target.matches('[role="slider"]');
    if (move && !(onSlider && move[0] !== 0)) {
      // Within a cell, up and down walk its items before leaving it.
      if (item && move[0] !== 0) {
        const sibling = move[0] < 0 ? item.previousElementSibling : item.nextElementSibling;
        if (sibling?.matches(ITEM)) { event.preventDefault(); sibling.focus(); return; }
      }
      const next = cellAt(Math.max(0, Math.min(rowCount() - 1, row + move[0])), Math.max(0, Math.min(colCount() - 1, col + move[1])));
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
