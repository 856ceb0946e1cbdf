// Keeping a dashboard current: listen on the map's WebSocket and, on any change, fetch the
// dashboard's data again (debounced). While the socket is down, poll instead.

import { LiveSocket } from "../live/socket.js";

const DEBOUNCE_MS = 400;

export class DashboardLive {
  constructor({ socketPath, pollSeconds, revision, refetch, onStatus }) {
    this.socketPath = socketPath;
    this.pollMs = pollSeconds * 1000;
    this.revision = revision;
    this.refetch = refetch;
    this.onStatus = onStatus;
    this.timer = null;
    this.poller = null;
  }

  start() {
    if (!this.socketPath) { this.onStatus("polling"); this.poll(); return; }
    // The dashboard does not replay events (any change may move a number): it only needs to
    // know that the map moved past the revision its data reflects, so it follows no sequence.
    this.socket = new LiveSocket({
      path: this.socketPath,
      onStatus: (status) => {
        if (status === "gone") { location.reload(); return; } // the page itself now says so
        if (status === "live") { clearInterval(this.poller); this.poller = null; }
        if (status === "offline" || status === "refused") this.poll(); // until the socket is back
        this.onStatus(status === "refused" ? "polling" : status);
      },
      handlers: {
        hello: (frame) => { if (frame.revision > this.revision) this.soon(); },
        event: (frame) => { if (frame.revision > this.revision) this.soon(); },
      },
    });
    this.socket.connect();
  }

  soon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refetch(), DEBOUNCE_MS);
  }

  poll() {
    if (this.poller || !this.pollMs) return;
    this.poller = setInterval(() => this.refetch(), this.pollMs);
  }

  /** The revision the shown data reflects (events at or below it are already in). */
  seen(revision) {
    this.revision = Math.max(this.revision, revision);
  }
}
