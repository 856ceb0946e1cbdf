// A map's events, applied in revision order. Every change bumps the journey's revision by one,
// so a client knows when it missed one. Across server processes events often arrive out of
// order (a fault run saw 22–28% of them), so an event that comes early waits a moment for the
// ones before it; only if they do not come does the client ask the server for what it missed
// (a `resync`). A lost message is then the one reason to ask. No socket, no DOM, no clock of
// its own (timers are passed in, for the tests).

export const HOLD_MS = 250; // how long an early event waits for the ones before it
export const ANSWER_MS = 10000; // how long a resync may go unanswered before asking again

export class EventSequence {
  /**
   * ``revision()``: the revision applied so far (the store's, which reloads also advance);
   * ``apply(events)``: apply consecutive events, in order; ``resync(after)``: ask the server
   * for every event after ``after`` (false when it could not be sent).
   */
  constructor({ revision, apply, resync, holdMs = HOLD_MS, answerMs = ANSWER_MS, timers = globalThis }) {
    this.revision = revision;
    this.applyEvents = apply;
    this.sendResync = resync;
    this.holdMs = holdMs;
    this.answerMs = answerMs;
    this.timers = timers;
    this.held = new Map(); // revision → an event that arrived before its predecessors
    this.asking = false; // a resync was sent and is not answered yet
    this.holdTimer = null;
    this.answerTimer = null;
  }

  /** The socket is open and the server's map is at ``revision``. */
  connected(revision) {
    if (revision > this.revision()) this.ask();
  }

  /** One live event. While a resync is unanswered it waits: the answer may cover it. */
  event(event) {
    if (event.revision <= this.revision()) return; // in already (replayed, reloaded, or an echo)
    this.held.set(event.revision, event);
    if (!this.asking) this.drain();
  }

  /** The answer to a resync: the events after the revision asked about, in order. */
  replayed(events) {
    this.answered();
    for (const event of events) this.held.set(event.revision, event);
    this.drain();
  }

  /** The answer to a resync was the whole map instead (the caller has loaded it). */
  snapshot() {
    this.answered();
    this.drain();
  }

  /** The socket closed: a resync sent on it will never be answered, so stop waiting for one. */
  disconnected() {
    this.asking = false;
    this.held.clear(); // on reconnect, hello tells whether anything was missed
    this.timers.clearTimeout(this.holdTimer);
    this.timers.clearTimeout(this.answerTimer);
    this.holdTimer = null;
    this.answerTimer = null;
  }

  /** Ask for what was missed now (e.g. a background job changed the map out of band). */
  ask() {
    this.timers.clearTimeout(this.holdTimer);
    this.holdTimer = null;
    if (this.asking) return;
    // Not sent (the socket is down): on reconnecting, `connected` asks again.
    if (this.sendResync(this.revision()) === false) return;
    this.asking = true;
    // An answer can be lost too (or be an error frame): then ask again rather than wait forever.
    this.answerTimer = this.timers.setTimeout(() => {
      this.answerTimer = null;
      this.asking = false;
      this.ask();
    }, this.answerMs);
  }

  answered() {
    this.asking = false;
    this.timers.clearTimeout(this.answerTimer);
    this.answerTimer = null;
  }

  /** Apply what follows on from the applied revision; wait a moment for a missing one. */
  drain() {
    let next = this.revision() + 1;
    for (const revision of this.held.keys()) if (revision < next) this.held.delete(revision);
    const run = [];
    while (this.held.has(next)) {
      run.push(this.held.get(next));
      this.held.delete(next);
      next += 1;
    }
    if (run.length) {
      this.applyEvents(run);
      // Progress: whatever is still missing gets a fresh moment to arrive.
      this.timers.clearTimeout(this.holdTimer);
      this.holdTimer = null;
    }
    if (!this.held.size) {
      this.timers.clearTimeout(this.holdTimer);
      this.holdTimer = null;
    } else if (!this.holdTimer) {
      this.holdTimer = this.timers.setTimeout(() => {
        this.holdTimer = null;
        this.ask();
      }, this.holdMs);
    }
  }
}
