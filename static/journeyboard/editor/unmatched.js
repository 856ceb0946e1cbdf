// The unmatched queue: responses no touchpoint claimed, grouped by what they named, for the
// whole map (every source, every import). Editors map a group to a touchpoint — the value then
// becomes a rule of its source, so later imports match it on arrival — or ignore it (hidden,
// nothing deleted). Viewers read it.

import { request } from "./api.js";
import { h } from "./dom.js";

const when = (iso) => new Date(iso).toLocaleDateString(undefined, { dateStyle: "medium" });

export class UnmatchedPanel {
  constructor({ root, button, journeyId, store, canEdit, notify, onMapped, onOpen }) {
    this.root = root;
    this.button = button;
    this.journeyId = journeyId;
    this.store = store;
    this.canEdit = canEdit;
    this.notify = notify;
    this.onMapped = onMapped;
    this.onOpen = onOpen; // the other side panels close: one at a time
    this.groups = [];
    this.showIgnored = false;
    this.loading = null;
  }

  get url() {
    return `/api/journeys/${this.journeyId}/unmatched/${this.showIgnored ? "?ignored=true" : ""}`;
  }

  toggle() { if (this.root.hidden) this.open(); else this.close(); }

  open() {
    this.onOpen?.();
    this.root.hidden = false;
    this.draw();
    this.refresh().then(() => this.root.querySelector("select, button")?.focus());
  }

  close() {
    this.root.hidden = true;
    this.button?.focus();
  }

  /** Read the queue again (after an import, a peer's change, a map or ignore of one's own). */
  refresh() {
    // Calls that overlap share one request (an import's end and its frame often come
    // together); one for another view ("Show ignored" just changed) starts its own, and only
    // the answer for the view now chosen is drawn.
    const url = this.url;
    if (this.loading && this.loadingUrl === url) return this.loading;
    this.loadingUrl = url;
    this.loading = request("GET", url).then((groups) => {
      if (url !== this.url) return;
      this.groups = groups;
      this.showCount();
      if (!this.root.hidden) this.draw();
    }).catch((error) => {
      if (!this.root.hidden) this.notify(`The unmatched responses could not be loaded: ${error.message}`, "error");
    }).finally(() => { if (this.loadingUrl === url) this.loading = null; });
    return this.loading;
  }

  showCount() {
    if (!this.button) return;
    const count = this.groups.filter((g) => !g.ignored).reduce((sum, g) => sum + g.responses, 0);
    this.button.textContent = `Unmatched (${count})`;
    this.button.dataset.count = count;
    this.button.classList.toggle("has-unmatched", count > 0);
  }

  draw() {
    const ignoredToggle = h("input", { type: "checkbox", checked: this.showIgnored, onchange: () => { this.showIgnored = ignoredToggle.checked; this.refresh(); } });
    const list = h("ul", { class: "unmatched-groups", "aria-label": "Unmatched responses by what they named" },
      this.groups.map((group) => this.groupItem(group)));
    const empty = this.groups.length ? null : h("p", { class: "muted small", text: "No unmatched responses to review." });
    this.root.replaceChildren(
      h("button", { type: "button", class: "close", "aria-label": "Close the unmatched responses", text: "×", onclick: () => this.close() }),
      h("h2", { text: "Unmatched responses" }),
      h("p", { class: "muted small", text: this.canEdit
        ? "What responses named that no touchpoint claimed. Map a value to a touchpoint and it counts there — now and in every later import."
        : "What responses named that no touchpoint claimed." }),
      h("label", { class: "show-ignored" }, ignoredToggle, " Show ignored"),
      ...(empty ? [empty] : []), list);
  }

  groupItem(group) {
    const named = group.match_key ? `“${group.value}”` : "Nothing named";
    const item = h("li", { class: `unmatched-group${group.ignored ? " ignored" : ""}`, dataset: { matchKey: group.match_key, source: group.source } },
      h("div", { class: "unmatched-value" },
        h("strong", { text: named }),
        h("span", { class: "pill metric-n", title: "Responses", text: `${group.responses}` })),
      h("p", { class: "muted small", text: `${group.source_name} · last ${when(group.last_seen)}${group.ignored ? " · ignored" : ""}` }));
    if (!this.canEdit) return item;
    const touchpoints = [...this.store.items.touchpoint.values()].sort((a, b) => a.name.localeCompare(b.name));
    const actions = h("div", { class: "unmatched-actions" });
    if (group.match_key && touchpoints.length) {
      const choice = h("select", { "aria-label": `Touchpoint for ${named}` },
        touchpoints.map((t) => h("option", { value: t.id, text: t.name })));
      actions.append(choice, h("button", { type: "button", class: "primary", text: "Map", onclick: () => this.map(group, Number(choice.value)) }));
    }
    actions.append(h("button", { type: "button", text: group.ignored ? "Un-ignore" : "Ignore", onclick: () => this.ignore(group, !group.ignored) }));
    item.append(actions);
    return item;
  }

  async map(group, touchpoint) {
    try {
      const { mapped } = await request("POST", `/api/journeys/${this.journeyId}/unmatched/map/`, { source: group.source, match_key: group.match_key, touchpoint });
      const name = this.store.get("touchpoint", touchpoint)?.name || "the touchpoint";
      this.notify(`${mapped} responses now count for ${name}; later imports map “${group.value}” there too.`);
      await this.refresh();
      this.onMapped?.();
    } catch (error) { this.notify(error.message, "error"); }
  }

  async ignore(group, ignored) {
    try {
      await request("POST", `/api/journeys/${this.journeyId}/unmatched/ignore/`, { source: group.source, match_key: group.match_key, ignored });
      await this.refresh();
    } catch (error) { this.notify(error.message, "error"); }
  }
}
