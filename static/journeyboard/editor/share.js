// Share links: read-only links to the map or its dashboard for people without an account,
// listed so whoever shares the map sees what is out there, and revocable at any time.

import { request } from "./api.js";
import { h } from "./dom.js";

const EXPIRY_CHOICES = [["", "Never expires"], ["1", "Expires in 1 day"], ["7", "Expires in 7 days"], ["30", "Expires in 30 days"], ["90", "Expires in 90 days"]];
const STATE_TEXT = { active: "Active", expired: "Expired", revoked: "Revoked" };

const when = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

export class SharePanel {
  constructor({ root, journeyId, notify }) {
    this.root = root;
    this.journeyId = journeyId;
    this.notify = notify;
    this.links = [];
    this.loaded = false;
  }

  toggle() {
    this.root.hidden = !this.root.hidden;
    if (!this.root.hidden) { this.load(); this.root.querySelector("select, input")?.focus(); }
  }

  async load() {
    try {
      this.links = await request("GET", `/api/journeys/${this.journeyId}/share-links/`);
      this.loaded = true;
    } catch (error) {
      this.notify(`Share links could not be loaded: ${error.message}`, "error");
    }
    this.draw();
  }

  /** Someone (maybe in another tab) created or revoked a link: refresh if the panel is open. */
  changed() { if (!this.root.hidden) this.load(); }

  async create(form) {
    const days = form.elements.expiry.value;
    const body = { target: form.elements.target.value, label: form.elements.label.value.trim() };
    if (days) body.expires_at = new Date(Date.now() + Number(days) * 86400000).toISOString();
    try {
      const link = await request("POST", `/api/journeys/${this.journeyId}/share-links/`, body);
      this.links = [link, ...this.links.filter((l) => l.id !== link.id)];
      this.draw();
      await this.copy(link);
    } catch (error) {
      this.notify(`The link was not created: ${error.message}`, "error");
    }
  }

  async revoke(link) {
    if (!window.confirm(`Turn off this ${link.target} link${link.label ? ` (“${link.label}”)` : ""}? Anyone using it loses access at once.`)) return;
    try {
      const revoked = await request("POST", `/api/share-links/${link.id}/revoke/`);
      this.links = this.links.map((l) => (l.id === revoked.id ? revoked : l));
      this.draw();
      this.notify("Link turned off.");
    } catch (error) {
      this.notify(`The link was not revoked: ${error.message}`, "error");
    }
  }

  async copy(link) {
    try {
      await navigator.clipboard.writeText(link.url);
      this.notify("Link copied to the clipboard.");
    } catch {
      this.notify("Copy the link from the list."); // clipboards need a secure context or permission
    }
  }

  draw() {
    const form = h("form", { class: "share-form", "aria-label": "New share link" },
      h("label", {}, "Share the ", h("select", { name: "target" },
        h("option", { value: "map", text: "map" }), h("option", { value: "dashboard", text: "dashboard" }))),
      h("label", {}, "For ", h("input", { name: "label", maxlength: 120, placeholder: "e.g. Board meeting, agency" })),
      h("select", { name: "expiry", "aria-label": "Expiry" }, EXPIRY_CHOICES.map(([v, t]) => h("option", { value: v, text: t }))),
      h("button", { type: "submit", class: "primary", text: "Create read-only link" }));
    form.addEventListener("submit", (event) => { event.preventDefault(); this.create(form); });
    const rows = this.links.map((link) => h("li", { class: `share-link ${link.state}`, dataset: { link: link.id } },
      h("div", { class: "share-link-head" },
        h("strong", { text: link.target === "map" ? "Map" : "Dashboard" }),
        link.label ? h("span", { text: ` · ${link.label}` }) : null,
        h("span", { class: `badge share-${link.state}`, text: STATE_TEXT[link.state] || link.state })),
      h("input", { class: "share-url", readonly: true, value: link.url, "aria-label": "Link address", onfocus: (e) => e.target.select() }),
      h("div", { class: "muted small", text: [
        `by ${link.created_by || "someone"} on ${when(link.created_at)}`,
        link.expires_at ? `${link.state === "expired" ? "expired" : "expires"} ${when(link.expires_at)}` : "no expiry",
        `opened ${link.opened_count} time${link.opened_count === 1 ? "" : "s"}`,
      ].join(" · ") }),
      link.state === "active" ? h("div", { class: "share-actions" },
        h("button", { type: "button", text: "Copy", onclick: () => this.copy(link) }),
        h("button", { type: "button", class: "danger", text: "Revoke", onclick: () => this.revoke(link) })) : null));
    this.root.replaceChildren(
      h("header", {}, h("h2", { text: "Share read-only" }),
        h("button", { type: "button", class: "close", "aria-label": "Close", text: "×", onclick: () => { this.root.hidden = true; } })),
      h("p", { class: "muted small", text: "Anyone with a link can read the map or its dashboard without an account — no comments, no editing. Revoke a link to turn it off at once." }),
      form,
      h("h3", { text: "Links to this map" }),
      !this.loaded ? h("p", { class: "muted", text: "Loading…" })
        : rows.length ? h("ul", { class: "share-links" }, rows) : h("p", { class: "muted", text: "Nothing shared yet." }));
  }
}
