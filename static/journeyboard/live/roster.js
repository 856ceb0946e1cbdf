// Who is on the map, as one client sees it: the list a connection starts with, then `update`
// and `leave` frames. A member whose server process dies sends no goodbye; the server this
// client is on notices the member's entry going stale (unconfirmed for three presence
// refreshes, journeys/realtime/presence.py) and sends the `leave` for it, so the client keeps
// no clock of its own and a quiet member is never dropped for being quiet.

export class Roster {
  constructor() {
    this.me = null;
    this.members = new Map(); // member → its presence state
  }

  /** Everyone the server listed on connecting; ``me``: this socket's own entry. */
  reset(states, me) {
    this.me = me.member;
    this.members = new Map(states.map((state) => [state.member, state]));
  }

  update(state) { this.members.set(state.member, state); }

  leave(member) { return this.members.delete(member); }

  values() { return this.members.values(); }
}
