// Keeping a dashboard current: listen on the map's WebSocket and, on any change, fetch the
// dashboard's data again (debounced). While the socket is down, poll instead.

const RETRY_MS = [1000, 2000, 4000, 8000, 15000];
const DEBOUNCE_MS = 400;

export class DashboardLive {
  constructor({ socketPath, pollSeconds, revision, refetch, onStatus }) {
    this.socketPath = socketPath;
    this.pollMs = pollSeconds * 1000;
    this.revision = revision;
    this.refetch = refetch;
    this.onStatus = onStatus;
    this.attempt = 0;
    this.timer = null;
    this.poller = null;
  }

  start() {
    if (this.socketPath) this.connect();
    else { this.onStatus("polling"); this.poll(); }
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = this.socketPath.startsWith("ws") ? this.socketPath : `${scheme}://${location.host}${this.socketPath}`;
    const socket = new WebSocket(url);
    this.socket = socket;
    this.onStatus("connecting");
    socket.addEventListener("message", (message) => this.receive(JSON.parse(message.data)));
    socket.addEventListener("close", (event) => {
      clearInterval(this.keepAlive);
      // A share link revoked or expired: the page itself now says so.
      if (event.code === 4410) { location.reload(); return; }
      this.poll(); // until the socket is back
      if (event.code === 4401 || event.code === 4404) { this.onStatus("polling"); return; }
      this.onStatus("offline");
      const delay = RETRY_MS[Math.min(this.attempt, RETRY_MS.length - 1)];
      this.attempt += 1;
      setTimeout(() => this.connect(), delay);
    });
  }

  receive(frame) {
    if (frame.type === "hello") {
      this.attempt = 0;
      clearInterval(this.poller);
      this.poller = null;
      this.onStatus("live");
      this.keepAlive = setInterval(() => this.socket.readyState === WebSocket.OPEN && this.socket.send('{"type":"ping"}'), 20000);
      // Changes made while we were away (or since the page was served).
      if (frame.revision > this.revision) this.soon();
    } else if (frame.type === "event" && frame.revision > this.revision) {
      // Any change may move a number: the dashboard does not replay events, it asks again.
      this.soon();
    }
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
