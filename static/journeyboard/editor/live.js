// The live map: everyone's changes applied to the store as they happen (in revision order,
// through the shared socket), and who else is on the map and which cell they are in.

import { Roster } from "../live/roster.js";
import { LiveSocket } from "../live/socket.js";
import { applyEvent } from "./events.js";

export class Live {
  constructor({ journeyId, store, onStatus, onPresence, onGone, onImport, onUnmatched, onShareLinks, onApplied, url }) {
    this.store = store;
    this.onPresence = onPresence;
    this.roster = new Roster();
    this.lastPresence = null;
    const hooks = {
      persona: (id) => this.catchUpPersona(id),
      gone: () => onGone("journey"),
      shareLinks: onShareLinks,
    };
    this.socket = new LiveSocket({
      // A share-link visitor listens on the link's own socket (/ws/share/<token>/).
      path: url || `/ws/journeys/${journeyId}/`,
      onStatus: (status, code) => {
        if (status === "gone") onGone("link"); // share link revoked or expired
        onStatus(status === "gone" ? "refused" : status, code);
      },
      events: {
        revision: () => store.revision,
        apply: (events) => {
          store.batch(() => { for (const event of events) applyEvent(store, event, hooks); });
          onApplied?.(store.revision);
        },
        snapshot: (map) => { store.load(map); onApplied?.(store.revision); },
      },
      handlers: {
        hello: (frame) => {
          this.roster.reset(frame.presence, frame.you);
          this.showPresence();
          if (this.lastPresence) this.socket.send(this.lastPresence);
        },
        presence: (frame) => {
          if (frame.action === "leave") this.roster.leave(frame.state.member);
          else this.roster.update(frame.state);
          this.showPresence();
        },
        import: (frame) => onImport?.(frame.run),
        unmatched: (frame) => onUnmatched?.(frame),
        // The user's rights on this map changed (a role given or taken): the page is drawn
        // again as they now are, with or without its edit controls.
        access: () => location.reload(),
      },
    });
  }

  connect() { this.socket.connect(); }

  /** Ask for what was missed (a background job's change may not reach this server's sockets). */
  catchUp() { this.socket.resync(); }

  showPresence() { this.onPresence(this.roster.members, this.roster.me); }

  async catchUpPersona(personaId) {
    if (personaId === null) { this.store.setPersona(null); return; }
    const response = await fetch(`/api/personas/${personaId}/`, { credentials: "same-origin" });
    if (response.ok) this.store.setPersona(await response.json());
  }

  /** Tell the others which cell this user is in, and whether they are typing in it. */
  presence(cell, editing) {
    const frame = { type: "presence", cell, editing };
    const key = JSON.stringify(frame);
    if (key === this.lastPresenceKey) return;
    this.lastPresenceKey = key;
    this.lastPresence = frame;
    this.socket.send(frame);
  }
}
