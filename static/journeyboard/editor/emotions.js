// The emotions lane: one point per phase on the −3…+3 scale, joined into a curve.
// A point is set by clicking the lane, dragging the point, or with the arrow keys.

import { h, svg } from "./dom.js";

export const EMOJI = { "-3": "😡", "-2": "😠", "-1": "😕", 0: "😐", 1: "🙂", 2: "😀", 3: "😍" };
export const LABEL = {
  "-3": "Furious", "-2": "Frustrated", "-1": "Uneasy", 0: "Neutral", 1: "Content", 2: "Happy", 3: "Delighted",
};
// A phase is flagged when the team's estimate and what customers say differ by this much: the
// server's rule (feedback.voc.DISAGREEMENT, served with the map's numbers), which the dashboard
// applies to the same window's numbers; this is only the fallback of a page served without it.
export const DISAGREEMENT = 2;
const MIN = -3;
const MAX = 3;
// A point's height comes from its data-level (app.css, one rule per level, the same yOf): the
// Content-Security-Policy allows no style attributes.
const HEIGHT = 150;
const PAD = 24;

const clamp = (score) => Math.max(MIN, Math.min(MAX, score));
export const yOf = (score) => PAD + ((MAX - score) / (MAX - MIN)) * (HEIGHT - 2 * PAD);
const scoreAt = (y) => clamp(Math.round(MAX - ((y - PAD) / (HEIGHT - 2 * PAD)) * (MAX - MIN)));

/** The cells of the emotions lane and the curve through their points. */
export function emotionCells({ phases, lane, store, canEdit, columnWidth, onSet, cellAttrs }) {
  const wrap = h("div", { class: "cells-wrap" });
  const points = [];
  const vocPoints = [];
  phases.forEach((phase, i) => {
    const emotion = store.teamEmotion(phase.id);
    const cell = h("div", cellAttrs(phase, lane));
    const label = emotion
      ? `${phase.name}: ${emotion.label || LABEL[emotion.score]} ${emotion.emoji || EMOJI[emotion.score]} (${emotion.score > 0 ? "+" : ""}${emotion.score})`
      : `${phase.name}: no emotion set`;
    let point;
    if (canEdit) {
      point = h("button", {
        type: "button",
        class: `emotion-point${emotion ? "" : " unset"}`,
        role: "slider",
        tabindex: "-1",
        "aria-label": `Emotion in ${phase.name}`,
        "aria-valuemin": MIN,
        "aria-valuemax": MAX,
        "aria-valuenow": emotion ? emotion.score : 0,
        "aria-valuetext": label,
        // Keyed, so a redraw after each step keeps this very button (and the keyboard's focus).
        dataset: { key: `emotion-point-${phase.id}`, phase: phase.id, score: emotion ? emotion.score : "", level: emotion ? emotion.score : 0 },
        text: emotion ? emotion.emoji || EMOJI[emotion.score] : "+",
      });
      wireEditing(cell, point, phase, emotion, onSet);
    } else {
      point = emotion
        ? h("span", { class: "emotion-point", role: "img", "aria-label": label, dataset: { level: emotion.score }, text: emotion.emoji || EMOJI[emotion.score] })
        : null;
    }
    if (point) cell.append(point);
    if (emotion) {
      cell.append(h("span", { class: "emotion-label", text: emotion.label || LABEL[emotion.score] }));
      points.push([i * columnWidth + columnWidth / 2, yOf(emotion.score)]);
    }
    const voc = store.vocEmotion(phase.id);
    if (voc) {
      const n = store.phaseMetrics(phase.id)?.responses ?? voc.label.replace(/\D/g, "");
      const disagree = Boolean(emotion) && Math.abs(emotion.score - voc.score) >= (store.voc?.disagreement ?? DISAGREEMENT);
      cell.append(h("span", {
        class: `voc-point${disagree ? " disagree" : ""}`,
        role: "img",
        dataset: { vocScore: voc.score, n, level: voc.score },
        "aria-label": `Customers in ${phase.name}: ${LABEL[voc.score]} (${voc.score > 0 ? "+" : ""}${voc.score}), from ${n} responses${disagree ? "; differs from the team's estimate" : ""}`,
        title: `What customers say: ${LABEL[voc.score]} (${voc.score > 0 ? "+" : ""}${voc.score}), n = ${n}`,
        text: EMOJI[voc.score],
      }));
      if (disagree) {
        cell.classList.add("voc-disagrees");
        cell.append(h("span", { class: "voc-flag", title: "The team's estimate and what customers say differ by 2 or more", text: "⚠ differs" }));
      }
      vocPoints.push([i * columnWidth + columnWidth / 2, yOf(voc.score)]);
    }
    wrap.append(cell);
  });
  wrap.prepend(curve(points, phases.length * columnWidth, vocPoints));
  return wrap;
}

function curve(points, width, vocPoints = []) {
  const drawing = svg("svg", { class: "curve", width, height: HEIGHT, "aria-hidden": "true" });
  drawing.append(svg("line", { class: "zero", x1: 0, x2: width, y1: yOf(0), y2: yOf(0) }));
  const line = (pts) => `M ${pts.map(([x, y]) => `${x} ${y}`).join(" L ")}`;
  if (points.length > 1) drawing.append(svg("path", { d: line(points) }));
  if (vocPoints.length > 1) drawing.append(svg("path", { class: "voc", d: line(vocPoints) }));
  return drawing;
}

function wireEditing(cell, point, phase, emotion, onSet) {
  const set = (score) => onSet(phase.id, score, EMOJI[score], LABEL[score]);
  const current = () => (point.dataset.score === "" ? null : Number(point.dataset.score));
  const preview = (score) => {
    point.dataset.level = score;
    point.textContent = EMOJI[score];
    point.setAttribute("aria-valuenow", score);
  };

  cell.addEventListener("click", (event) => {
    if (event.target === point) return;
    const top = cell.getBoundingClientRect().top;
    set(scoreAt(event.clientY - top));
    point.focus({ preventScroll: true }); // the arrow keys go on from the height clicked
  });
  point.addEventListener("keydown", (event) => {
    const step = { ArrowUp: 1, ArrowDown: -1, PageUp: 1, PageDown: -1 }[event.key];
    let score = null;
    if (step) score = clamp((current() ?? 0) + step);
    if (event.key === "Home") score = MAX;
    if (event.key === "End") score = MIN;
    if (event.key === "Enter" && current() === null) score = 0;
    if (score === null) return;
    event.preventDefault();
    event.stopPropagation();
    preview(score);
    set(score);
  });
  point.addEventListener("pointerdown", (event) => {
    // preventDefault keeps the page from scrolling or selecting, but also keeps the button
    // from taking the focus: give it the focus so the arrow keys go on from the drag.
    event.preventDefault();
    point.focus({ preventScroll: true });
    point.setPointerCapture(event.pointerId);
    const top = cell.getBoundingClientRect().top;
    let score = current() ?? 0;
    const moveTo = (e) => { score = scoreAt(e.clientY - top); preview(score); };
    const finish = () => {
      point.removeEventListener("pointermove", moveTo);
      point.removeEventListener("pointerup", finish);
      point.removeEventListener("pointercancel", finish);
      set(score);
    };
    point.addEventListener("pointermove", moveTo);
    point.addEventListener("pointerup", finish);
    point.addEventListener("pointercancel", finish);
  });
}
