// Who is on the map, as one client sees it. A member leaves with a `leave` frame, but the
// server process that should send it can die with its sockets; the server re-confirms every
// member every 10 s and forgets one after 30 s without a confirmation (journeys/presence.py),
// so the client forgets, too, a member it has not heard of for that long. Timed on the client's
// own clock, from when it last heard of each member: clocks of different machines differ. The
// one exception is the list a connection starts with: it can hold members last confirmed up to
// 30 s before, so their age comes from the server's own times (its `seen` against the `seen`
// of the connection's own, just confirmed, entry), not from when the list arrived.

export const STALE_AFTER_MS = 30000;

export class Roster {
  constructor({ now = () => performance.now(), staleAfterMs = STALE_AFTER_MS } = {}) {
    this.now = now;
    this.staleAfterMs = staleAfterMs;
    this.me = null;
    this.members = new Map(); // member → its presence state
    this.heard = new Map(); // member → when this client last heard of it
  }

  /** Everyone the server listed on connecting; ``me``: this socket's own entry, just confirmed. */
  reset(states, me) {
    this.me = me.member;
    this.members.clear();
    this.heard.clear();
    const now = this.now();
    for (const state of states) {
      const age = me.seen && state.seen ? Math.max(0, me.seen - state.seen) * 1000 : 0;
      this.members.set(state.member, state);
      this.heard.set(state.member, now - age);
    }
  }

  update(state) {
    this.members.set(state.member, state);
    this.heard.set(state.member, this.now());
  }

  leave(member) {
    this.heard.delete(member);
    return this.members.delete(member);
  }

  /** Forget members not heard of within the stale time (never oneself); true if any went. */
  expire() {
    const now = this.now();
    let changed = false;
    for (const [member, heard] of this.heard) {
      if (member !== this.me && now - heard > this.staleAfterMs) changed = this.leave(member) || changed;
    }
    return changed;
  }

  values() { return this.members.values(); }
}
