// The journey map editor: reads the map the page was served with and wires everything up.

import { showAccessLost } from "./access.js";
import { Editor } from "./actions.js";
import { confirmDialog } from "./confirm.js";
import { h } from "./dom.js";
import { Grid } from "./grid.js";
import { wireKeyboard } from "./keyboard.js";
import { Live } from "./live.js";
import { Panels } from "./panels.js";
import { Presentation } from "./present.js";
import { SettingsPanel, drawJourneyHeader } from "./settings.js";
import { SharePanel } from "./share.js";
import { MapStore } from "./store.js";
import { UnmatchedPanel } from "./unmatched.js";
import { SurveyImport } from "./voc.js";
import { connectorImportFrame } from "./connectors.js";
import { CLOSE_NO_ACCESS } from "../live/socket.js";

const data = JSON.parse(document.getElementById("editor-data").textContent);
const root = document.getElementById("journey-grid");
const store = new MapStore(data.map, data.voc);
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

const editor = new Editor({
  store,
  journeyId: data.map.id,
  notify,
  onSaving,
  onHistory,
  confirm: confirmDialog,
});
const panels = new Panels({
  side: document.querySelector("[data-side-panel]"),
  persona: document.querySelector("[data-persona-panel]"),
  store, editor, canEdit: data.canEdit, choices: data.choices, people: data.people, personas: data.personas,
  shared: data.shared,
});
// The map's settings (its editors; who may see it: its owner or an admin), one panel at a time.
const settingsRoot = document.querySelector("[data-settings-panel]");
const settingsButton = document.querySelector('[data-action="settings"]');
const settings = settingsRoot ? new SettingsPanel({
  root: settingsRoot,
  button: settingsButton,
  store,
  journeyId: data.map.id,
  canManage: data.canManage,
  people: data.people,
  personas: data.personas,
  choices: data.choices,
  notify,
  onOpen: () => {
    if (panels.current) panels.close();
    for (const other of document.querySelectorAll("[data-import-panel], [data-unmatched-panel], [data-share-panel]")) other.hidden = true;
  },
}) : null;
settingsButton?.addEventListener("click", () => settings.toggle());

const grid = new Grid({ root, store, editor, canEdit: data.canEdit, choices: data.choices, panels });
const presentation = new Presentation({ root: document.querySelector("[data-presentation]"), store });
if (!data.canEdit) root.classList.add("readonly");

wireKeyboard({ root, grid, editor, canEdit: data.canEdit });
undoButton?.addEventListener("click", () => editor.undo());
redoButton?.addEventListener("click", () => editor.redo());

grid.render();
panels.drawPersona();

// A deep link (from the dashboard's opportunity matrix): ?opportunity=<id> opens its panel.
const linked = Number(new URLSearchParams(location.search).get("opportunity"));
if (linked && store.get("opportunity", linked)) {
  panels.open("opportunity", linked);
  document.querySelector(`[data-key="opportunity-${linked}"]`)?.scrollIntoView({ block: "nearest", inline: "center" });
}

// --- Live: other people's changes and presence -------------------------------------------------

const connection = document.querySelector("[data-connection]");
const people = document.querySelector("[data-presence]");
// Every change of the store, whoever made it, is drawn from here, once per batch. The grid
// updates only the nodes that changed (and leaves alone what is being typed in); the details
// panel is one form, redrawn whole, so it waits while someone types in it.
const typingInPanel = () => {
  const active = document.activeElement;
  return Boolean(active?.matches("input, textarea, select") && active.closest("[data-side-panel]"));
};
let panelPending = false;
function refreshPanel() {
  if (typingInPanel()) { panelPending = true; return; }
  panelPending = false;
  panels.refresh();
}
document.addEventListener("focusout", () => setTimeout(() => { if (panelPending) refreshPanel(); }, 0));
store.subscribe((changes) => {
  grid.update(changes);
  markPresence();
  refreshPanel();
  if (changes.has("persona")) panels.drawPersona();
  if (changes.has("journey")) { drawJourneyHeader(store.journey, data.choices); settings?.changed(); }
  presentation.refresh();
  // A count of draws lets tests (and tools) see that an echo of a change draws nothing.
  document.body.dataset.renders = Number(document.body.dataset.renders || 0) + 1;
});

const initials = (name) => name.split(/\s+/).map((part) => part[0] || "").join("").slice(0, 2).toUpperCase();
let roster = new Map();
let myMember = null;
function markPresence() {
  for (const badge of root.querySelectorAll(".presence-badge")) badge.remove();
  for (const locked of root.querySelectorAll(".cell.locked")) locked.classList.remove("locked");
  for (const state of roster.values()) {
    if (state.member === myMember || !state.cell) continue;
    const cell = root.querySelector(`.cell[data-phase="${state.cell.phase}"][data-lane="${state.cell.lane}"]`);
    if (!cell) continue;
    if (state.editing) cell.classList.add("locked");
    cell.append(h("span", {
      class: `presence-badge${state.editing ? " editing" : ""}`,
      title: `${state.user.name} ${state.editing ? "is editing here" : "is here"}`,
      text: initials(state.user.name),
    }));
  }
}

// The metrics of the map's touchpoints, fetched again (after an import, or a mapping of
// unmatched responses). The voc_updated event normally brings these; without Redis the worker
// cannot reach this server's sockets, so ask for what was missed (emotions) and fetch them.
// The voc_updated event normally brings these. Without Redis the worker cannot reach this
// server's sockets, so ask for what was missed (emotions) and fetch the metrics of the window
// shown.
async function vocRefresh() {
  live.catchUp();
  const shown = store.voc?.window;
  const days = new URLSearchParams();
  if (shown?.since) days.set("since", shown.since);
  if (shown?.until) days.set("until", shown.until);
  const response = await fetch(`/api/journeys/${data.map.id}/voc/?${days}`, { credentials: "same-origin" });
  if (response.ok) store.setVoc(await response.json());
}

// The unmatched queue (everyone on the team reads it; editors map and ignore): a permanent
// toolbar control with its count, opening a side panel.
const importPanel = document.querySelector("[data-import-panel]");
const unmatchedRoot = document.querySelector("[data-unmatched-panel]");
const unmatched = unmatchedRoot ? new UnmatchedPanel({
  root: unmatchedRoot,
  button: document.querySelector('[data-action="unmatched"]'),
  journeyId: data.map.id,
  store,
  canEdit: data.canEdit,
  notify,
  onMapped: vocRefresh,
  onOpen: () => {
    if (panels.current) panels.close();
    if (importPanel) importPanel.hidden = true;
    settings?.close({ focusButton: false });
  },
}) : null;
unmatched?.refresh();
document.querySelector('[data-action="unmatched"]')?.addEventListener("click", () => unmatched.toggle());
// The import panel's "review the unmatched responses" link opens it.
document.addEventListener("click", (event) => {
  if (unmatched && event.target.closest?.('[data-action="unmatched-open"]')) unmatched.open();
});

// Survey imports (editors): a panel with the live progress bar of the run.
let surveyImport = null;
if (data.canEdit && importPanel) {
  surveyImport = new SurveyImport({
    root: importPanel,
    journeyId: data.map.id,
    sources: data.surveySources || [],
    store,
    notify,
    onFinished: async () => {
      unmatched?.refresh();
      await vocRefresh();
    },
  });
  surveyImport.draw();
  document.querySelector('[data-action="survey-data"]')?.addEventListener("click", () => {
    importPanel.hidden = !importPanel.hidden;
    if (unmatchedRoot) unmatchedRoot.hidden = true;
    settings?.close({ focusButton: false });
    if (!importPanel.hidden) importPanel.querySelector("select, input")?.focus();
  });
}

// Share links (those who may share the map) and presentation mode (everyone).
const sharePanelRoot = document.querySelector("[data-share-panel]");
const sharePanel = sharePanelRoot ? new SharePanel({ root: sharePanelRoot, journeyId: data.map.id, notify }) : null;
document.querySelector('[data-action="share"]')?.addEventListener("click", () => {
  settings?.close({ focusButton: false });
  sharePanel?.toggle();
});
document.querySelector('[data-action="present"]')?.addEventListener("click", () => presentation.start(0));


let journeyGone = false;
const live = new Live({
  url: data.liveUrl,
  onImport: (run) => {
    surveyImport?.update(run);
    connectorImportFrame(run);
    if (run.state === "succeeded") unmatched?.refresh(); // a peer's import ended
  },
  // A peer mapped or ignored a group: the queue and its count (metrics come as voc_updated).
  onUnmatched: () => unmatched?.refresh(),
  onShareLinks: () => sharePanel?.changed(),
  journeyId: data.map.id,
  store,
  // The revision the page's map is at (its events applied), for tests and tools to wait on.
  onApplied: (revision) => { document.body.dataset.revision = revision; },
  onStatus: (status, code) => {
    // Closed as out of reach (restricted without this user, or deleted): the page says so.
    if (status === "refused" && code === CLOSE_NO_ACCESS && !data.shared) showAccessLost({ deleted: journeyGone });
    if (!connection) return;
    connection.dataset.status = status;
    connection.textContent = { connecting: "Connecting…", live: "● Live", offline: "Reconnecting…", refused: "Not live" }[status];
    connection.title = status === "live" ? "Changes by others appear as they happen" : "Trying to reconnect; your own saves still go through";
  },
  onPresence: (members, me) => {
    roster = members;
    myMember = me;
    const byUser = new Map();
    for (const state of members.values()) byUser.set(state.user.id, state.user);
    people?.replaceChildren(...[...byUser.values()].map((user) =>
      h("span", { class: `presence-avatar${user.id === data.me?.id ? " me" : ""}`, title: user.id === data.me?.id ? `${user.name} (you)` : user.name, text: initials(user.name) })));
    markPresence();
  },
  onGone: (what) => {
    // A revoked or expired share link: the page itself now says so.
    if (what === "link") { location.reload(); return; }
    journeyGone = true;
    notify("This journey was deleted by someone else.", "error");
  },
});
live.connect();

// Tell the others where this user is, and when they are typing (a soft lock on that cell).
function reportPresence() {
  const active = document.activeElement;
  const cell = active?.closest?.(".cell");
  live.presence(
    cell ? { phase: Number(cell.dataset.phase), lane: Number(cell.dataset.lane) } : null,
    Boolean(cell && active.matches("input, textarea")),
  );
}
if (!data.shared) {
  document.addEventListener("focusin", reportPresence);
  document.addEventListener("focusout", () => setTimeout(reportPresence, 0));
}

document.body.dataset.revision = store.revision;
performance.mark("journeyboard:editor-ready");
document.body.dataset.editorReady = "true";
