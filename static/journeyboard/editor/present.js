// Presentation mode: the map full screen, one phase at a time, driven from the keyboard
// (→ / Space / PageDown next, ← / PageUp previous, Home / End, Escape leaves).

import { h } from "./dom.js";

const emotionFace = (score) => (score >= 2 ? "😀" : score >= 1 ? "🙂" : score > -1 ? "😐" : score > -2 ? "🙁" : "😣");

export class Presentation {
  constructor({ root, store }) {
    this.root = root;
    this.store = store;
    this.index = 0;
    this.onKey = (event) => this.key(event);
    this.onFullscreen = () => { if (!document.fullscreenElement && !this.root.hidden) this.stop(); };
  }

  get phases() { return this.store.phases(); }

  start(index = 0) {
    this.index = Math.max(0, Math.min(index, this.phases.length - 1));
    this.root.hidden = false;
    document.body.classList.add("presenting");
    document.addEventListener("keydown", this.onKey, true);
    document.addEventListener("fullscreenchange", this.onFullscreen);
    // Full screen when the browser allows it; the overlay alone still works where it does not.
    this.root.requestFullscreen?.().catch(() => {});
    this.draw();
    this.root.focus();
  }

  stop() {
    this.root.hidden = true;
    document.body.classList.remove("presenting");
    document.removeEventListener("keydown", this.onKey, true);
    document.removeEventListener("fullscreenchange", this.onFullscreen);
    const back = () => document.querySelector('[data-action="present"]')?.focus();
    // Leaving full screen settles asynchronously and can take the focus with it: focus after.
    if (document.fullscreenElement) document.exitFullscreen().then(back, back);
    else back();
  }

  go(index) {
    const last = this.phases.length - 1;
    this.index = Math.max(0, Math.min(index, last));
    this.draw();
  }

  key(event) {
    const moves = { ArrowRight: 1, " ": 1, PageDown: 1, ArrowLeft: -1, PageUp: -1 };
    if (event.key in moves) this.go(this.index + moves[event.key]);
    else if (event.key === "Home") this.go(0);
    else if (event.key === "End") this.go(this.phases.length - 1);
    else if (event.key === "Escape") this.stop();
    else return;
    event.preventDefault();
    event.stopPropagation();
  }

  /** Redraw after a live change, keeping to the same phase where it still exists. */
  refresh() { if (!this.root.hidden) this.go(this.index); }

  draw() {
    const phases = this.phases;
    const phase = phases[this.index];
    if (!phase) { this.root.replaceChildren(h("p", { text: "This map has no phases yet." })); return; }
    const team = this.store.teamEmotion(phase.id);
    const voc = this.store.vocEmotion(phase.id);
    const lanes = this.store.lanes().map((lane) => {
      const items = this.laneItems(lane, phase);
      if (!items.length) return null;
      return h("section", { class: `present-lane kind-${lane.kind}` },
        h("h3", { text: lane.name }), h("ul", {}, items.map((text) => h("li", { text }))));
    }).filter(Boolean);
    this.root.replaceChildren(
      h("header", { class: "present-head" },
        h("div", { class: "muted", text: `${this.store.journey.title}${this.store.persona ? ` · ${this.store.persona.name}` : ""}` }),
        h("h2", { text: phase.name }),
        phase.customer_goal ? h("p", { class: "present-goal", text: `Customer goal: ${phase.customer_goal}` }) : null,
        h("p", { class: "present-emotions" },
          team ? h("span", { text: `${emotionFace(team.score)} Team estimate ${team.score > 0 ? "+" : ""}${team.score}${team.label ? ` (${team.label})` : ""}` }) : null,
          voc ? h("span", { text: `📊 Customers ${voc.score > 0 ? "+" : ""}${voc.score}` }) : null)),
      h("div", { class: "present-lanes" }, lanes.length ? lanes : h("p", { class: "muted", text: "Nothing in this phase yet." })),
      h("footer", { class: "present-foot" },
        h("button", { type: "button", "aria-label": "Previous phase", text: "←", disabled: this.index === 0, onclick: () => this.go(this.index - 1) }),
        h("span", { class: "present-count", "aria-live": "polite", text: `Phase ${this.index + 1} of ${phases.length}` }),
        h("button", { type: "button", "aria-label": "Next phase", text: "→", disabled: this.index === phases.length - 1, onclick: () => this.go(this.index + 1) }),
        h("button", { type: "button", class: "present-exit", text: "Exit (Esc)", onclick: () => this.stop() })));
  }

  /** What one lane says in this phase, as lines of text. */
  laneItems(lane, phase) {
    if (lane.kind === "emotions") return [];
    if (lane.kind === "opportunities") {
      return this.store.inCell("opportunity", phase.id).map((o) => `${o.title} — impact ${o.impact}, effort ${o.effort}`)
        .concat(this.store.inCell("card", phase.id, lane.id).map((c) => c.text));
    }
    const touchpoints = this.store.inCell("touchpoint", phase.id, lane.id).map((t) => {
      const metrics = this.store.touchpointMetrics(t.id);
      const nps = metrics?.nps !== null && metrics?.nps !== undefined ? ` · NPS ${metrics.nps > 0 ? "+" : ""}${Math.round(metrics.nps)} (n = ${metrics.nps_count})` : "";
      return `${t.is_moment_that_matters ? "★ " : ""}${t.name}${nps}`;
    });
    return touchpoints.concat(this.store.inCell("card", phase.id, lane.id).map((c) => c.text));
  }
}
