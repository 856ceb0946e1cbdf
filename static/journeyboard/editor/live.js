// The live map: applies everyone's changes as they happen, in revision order, catching up
// after gaps and reconnects; and shows who else is on the map and which cell they are in.

const ENTITIES = ["phase", "lane", "card", "touchpoint", "emotion", "opportunity"];
const RETRY_MS = [500, 1000, 2000, 4000, 8000, 15000];

export class Live {
  constructor({ journeyId, store, onChange, onStatus, onPresence, onGone, onImport, onShareLinks, url }) {
    this.journeyId = journeyId;
    // A share-link visitor listens on the link's own socket (/ws/share/<token>/).
    this.url = url || `/ws/journeys/${journeyId}/`;
    this.onShareLinks = onShareLinks;
    this.store = store;
    this.revision = store.journey.revision;
    this.onChange = onChange;
    this.onStatus = onStatus;
    this.onPresence = onPresence;
    this.onGone = onGone;
    this.onImport = onImport;
    this.roster = new Map();
    this.me = null;
    this.attempt = 0;
    this.waitingForReplay = false;
    this.lastPresence = null;
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}${this.url}`);
    this.socket = socket;
    this.onStatus("connecting");
    socket.addEventListener("message", (message) => this.receive(JSON.parse(message.data)));
    socket.addEventListener("close", (event) => {
      clearInterval(this.keepAlive);
      if (event.code === 4401 || event.code === 4404) { this.onStatus("refused"); return; }
      if (event.code === 4410) { this.onStatus("refused"); this.onGone("link"); return; } // share link revoked or expired
      this.onStatus("offline");
      const delay = RETRY_MS[Math.min(this.attempt, RETRY_MS.length - 1)];
      this.attempt += 1;
      setTimeout(() => this.connect(), delay);
    });
  }

  send(frame) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  receive(frame) {
    if (frame.type === "hello") {
      this.attempt = 0;
      this.me = frame.you.member;
      this.roster = new Map(frame.presence.map((state) => [state.member, state]));
      this.onPresence(this.roster, this.me);
      this.onStatus("live");
      this.keepAlive = setInterval(() => this.send({ type: "ping" }), 20000);
      if (this.lastPresence) this.send(this.lastPresence);
      // Whatever happened while we were away (or since the page was served).
      if (frame.revision > this.revision) this.catchUp();
    } else if (frame.type === "event") {
      this.event(frame);
    } else if (frame.type === "events") {
      this.waitingForReplay = false;
      for (const event of frame.events) this.apply(event);
      this.onChange();
    } else if (frame.type === "snapshot") {
      this.waitingForReplay = false;
      this.store.load(frame.map);
      this.revision = frame.map.revision;
      this.onChange();
    } else if (frame.type === "import") {
      this.onImport?.(frame.run);
    } else if (frame.type === "presence") {
      if (frame.action === "leave") this.roster.delete(frame.state.member);
      else this.roster.set(frame.state.member, frame.state);
      this.onPresence(this.roster, this.me);
    }
  }

  event(event) {
    if (event.revision <= this.revision) return; // already applied (or replayed)
    if (event.revision > this.revision + 1) { this.catchUp(); return; } // a gap: a message was lost
    if (this.waitingForReplay) return;
    this.apply(event);
    this.onChange();
  }

  catchUp() {
    if (this.waitingForReplay) return;
    this.waitingForReplay = true;
    this.send({ type: "resync", after: this.revision });
  }

  /** Apply one event to the store (no redraw); events arrive here in revision order. */
  apply(event) {
    if (event.revision <= this.revision) return;
    this.revision = event.revision;
    this.store.journey.revision = event.revision;
    const [entity, ...rest] = event.kind.split("_");
    const verb = rest.join("_");
    const payload = event.payload || {};
    if (ENTITIES.includes(entity)) {
      if (verb === "deleted") {
        this.store.drop(entity, payload[entity].id);
        const singular = { cards: "card", touchpoints: "touchpoint", emotions: "emotion", opportunities: "opportunity" };
        for (const [word, ids] of Object.entries(payload.deleted || {})) {
          for (const id of ids) this.store.drop(singular[word], id);
        }
      } else {
        this.store.putIfNewer(entity, payload[entity]);
        this.store.renumber(entity, payload.renumbered);
      }
    } else if (event.kind === "journey_updated") {
      const personaChanged = (payload.journey.persona ?? null) !== (this.store.persona?.id ?? null);
      Object.assign(this.store.journey, payload.journey, { revision: event.revision });
      if (personaChanged) this.catchUpPersona(payload.journey.persona);
    } else if (event.kind === "persona_updated" && this.store.persona?.id === payload.persona.id) {
      this.store.persona = payload.persona;
    } else if (event.kind === "persona_removed" && this.store.persona?.id === payload.persona.id) {
      this.store.persona = null;
    } else if (event.kind === "voc_updated") {
      for (const emotion of payload.emotions || []) {
        if (emotion.deleted) this.store.drop("emotion", emotion.id);
        else this.store.putIfNewer("emotion", emotion);
      }
      this.store.voc = payload.metrics;
    } else if (event.kind === "journey_deleted") {
      this.onGone("journey");
    } else if (event.kind.startsWith("share_link_")) {
      this.onShareLinks?.(payload.share_link);
    }
  }

  async catchUpPersona(personaId) {
    if (personaId === null) { this.store.persona = null; this.onChange(); return; }
    const response = await fetch(`/api/personas/${personaId}/`, { credentials: "same-origin" });
    if (response.ok) { this.store.persona = await response.json(); this.onChange(); }
  }

  /** Tell the others which cell this user is in, and whether they are typing in it. */
  presence(cell, editing) {
    const frame = { type: "presence", cell, editing };
    const key = JSON.stringify(frame);
    if (key === this.lastPresenceKey) return;
    this.lastPresenceKey = key;
    this.lastPresence = frame;
    this.send(frame);
  }
}
