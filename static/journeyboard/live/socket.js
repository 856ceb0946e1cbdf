// The one WebSocket client of every live page: the editor, the dashboard and their share-link
// versions. It connects, reconnects with backoff, keeps the connection alive, and hands each
// frame to the handler for its type. Given ``events`` it also follows the map's events in
// revision order (sequence.js), resyncing after gaps and reconnects.
//
// Close codes (journeys/realtime/consumers.py): 4401 not signed in, 4404 no such map or no access, 4410
// the share link was revoked or has expired. Asking again would be refused again, so those end
// it; any other close is a network or server fault, and it reconnects.

import { EventSequence } from "./sequence.js";

export const CLOSE_NOT_SIGNED_IN = 4401;
export const CLOSE_NO_ACCESS = 4404;
export const CLOSE_LINK_GONE = 4410;
const RETRY_MS = [500, 1000, 2000, 4000, 8000, 15000];
// Idle connections die at proxies and load balancers that cut quiet TCP streams.
const PING_MS = 20000;

export class LiveSocket {
  /**
   * ``path``: the socket's path (or a whole ws:// URL). ``handlers``: frame type → function(frame),
   * for the frames the page itself cares about. ``onStatus(status)``: "connecting", "live",
   * "offline" (reconnecting), "refused" (4401/4404, the code as a second argument) or "gone" (4410). ``events``, to follow the
   * map: ``{ revision(), apply(events), snapshot(map) }`` (see EventSequence).
   */
  constructor({ path, handlers = {}, onStatus = () => {}, events = null }) {
    this.path = path;
    this.handlers = handlers;
    this.onStatus = onStatus;
    this.attempt = 0;
    this.socket = null;
    this.sequence = events && new EventSequence({
      revision: events.revision,
      apply: events.apply,
      resync: (after) => this.send({ type: "resync", after }),
    });
    this.snapshotLoad = events?.snapshot;
    // The frames this module answers itself, before the page's own handler for the same type.
    this.own = {
      hello: (frame) => {
        this.attempt = 0;
        this.onStatus("live");
        clearInterval(this.keepAlive);
        this.keepAlive = setInterval(() => this.send({ type: "ping" }), PING_MS);
        // Whatever changed while this page was away (or since it was served).
        this.sequence?.connected(frame.revision);
      },
      event: (frame) => this.sequence?.event(frame),
      events: (frame) => this.sequence?.replayed(frame.events),
      snapshot: (frame) => {
        if (!this.sequence) return;
        this.snapshotLoad(frame.map);
        this.sequence.snapshot();
      },
    };
  }

  url() {
    if (/^wss?:/.test(this.path)) return this.path;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    return `${scheme}://${location.host}${this.path}`;
  }

  connect() {
    const socket = new WebSocket(this.url());
    this.socket = socket;
    this.onStatus("connecting");
    socket.addEventListener("message", (message) => {
      if (socket === this.socket) this.receive(JSON.parse(message.data));
    });
    socket.addEventListener("close", (event) => this.closed(socket, event));
  }

  closed(socket, event) {
    if (socket !== this.socket) return;
    clearInterval(this.keepAlive);
    // A resync sent on this socket is lost with it: without this the page waited for its
    // answer for good and dropped every later event.
    this.sequence?.disconnected();
    if (event.code === CLOSE_NOT_SIGNED_IN || event.code === CLOSE_NO_ACCESS) { this.onStatus("refused", event.code); return; }
    if (event.code === CLOSE_LINK_GONE) { this.onStatus("gone"); return; }
    this.onStatus("offline");
    // Jitter, so that everyone a restarted server dropped does not come back in the same instant.
    const delay = RETRY_MS[Math.min(this.attempt, RETRY_MS.length - 1)] * (0.75 + Math.random() / 2);
    this.attempt += 1;
    setTimeout(() => this.connect(), delay);
  }

  receive(frame) {
    this.own[frame.type]?.(frame);
    this.handlers[frame.type]?.(frame);
  }

  /** Send a frame if the socket is open; false if it is not (the frame is not queued). */
  send(frame) {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /** Ask for the events missed so far (a change reached the map without reaching this socket). */
  resync() {
    this.sequence?.ask();
  }
}
