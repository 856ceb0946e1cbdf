// The journey map editor: reads the map the page was served with and wires everything up.

import { Editor } from "./actions.js";
import { h } from "./dom.js";
import { Grid } from "./grid.js";
import { wireKeyboard } from "./keyboard.js";
import { Panels } from "./panels.js";
import { MapStore } from "./store.js";

const data = JSON.parse(document.getElementById("editor-data").textContent);
const root = document.getElementById("journey-grid");
const store = new MapStore(data.map);
const toasts = document.querySelector("[data-toasts]");
const saveState = document.querySelector("[data-save-state]");
const undoButton = document.querySelector('[data-action="undo"]');
const redoButton = document.querySelector('[data-action="redo"]');

function notify(message, level = "info") {
  const toast = h("div", { class: `toast ${level}`, role: level === "error" ? "alert" : "status", text: message });
  toasts.append(toast);
  setTimeout(() => toast.remove(), level === "error" ? 8000 : 3000);
}

function onSaving(state) {
  // A count of finished saves lets tests and tools wait for "this change is done".
  if (state !== "saving") document.body.dataset.saves = Number(document.body.dataset.saves || 0) + 1;
  if (!saveState) return;
  saveState.className = `save-state ${state}`;
  saveState.textContent = { saving: "Saving…", saved: "All changes saved", failed: "Not saved" }[state];
}

function onHistory(history) {
  if (undoButton) undoButton.disabled = !history.canUndo;
  if (redoButton) redoButton.disabled = !history.canRedo;
}

let grid;
let panels;
const editor = new Editor({
  store,
  journeyId: data.map.id,
  redraw: () => { grid.render(); panels.refresh(); panels.drawPersona(); },
  notify,
  onSaving,
  onHistory,
});
panels = new Panels({
  side: document.querySelector("[data-side-panel]"),
  persona: document.querySelector("[data-persona-panel]"),
  store, editor, canEdit: data.canEdit, choices: data.choices, people: data.people, personas: data.personas,
});
grid = new Grid({ root, store, editor, canEdit: data.canEdit, choices: data.choices, panels });
if (!data.canEdit) root.classList.add("readonly");

wireKeyboard({ root, grid, editor, canEdit: data.canEdit });
undoButton?.addEventListener("click", () => editor.undo());
redoButton?.addEventListener("click", () => editor.redo());

grid.render();
panels.drawPersona();
performance.mark("journeyboard:editor-ready");
document.body.dataset.editorReady = "true";
