// Shared by the front-end unit tests: a small map as the API serves it, and a clock to drive
// timers by hand (so a 250 ms hold or a 10 s retry takes no real time).

export function mapAt(revision, { cards = [], phases = [{ id: 1, name: "Awareness", position: 1, version: 1 }], persona = null } = {}) {
  return {
    id: 9,
    title: "Buying a bike",
    version: 1,
    revision,
    persona,
    phases,
    lanes: [{ id: 2, name: "Actions", kind: "actions", position: 1, version: 1 }],
    cells: [{ phase: 1, lane: 2, cards }],
    touchpoints: [],
    emotions: [],
    opportunities: [],
  };
}

export const card = (id, version, text = `card ${id} v${version}`, extra = {}) => ({
  id, version, text, phase: 1, lane: 2, position: id * 10, ...extra,
});

/** setTimeout and clearTimeout on a clock that moves only when told. */
export class ManualClock {
  constructor() {
    this.now = 0;
    this.timers = new Map();
    this.nextId = 1;
  }

  setTimeout(fn, ms) {
    const id = this.nextId++;
    this.timers.set(id, { at: this.now + ms, fn });
    return id;
  }

  clearTimeout(id) {
    this.timers.delete(id);
  }

  /** Move the clock on by ``ms``, firing each timer that falls due, in order. */
  advance(ms) {
    const until = this.now + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      const [id, timer] = due;
      this.timers.delete(id);
      this.now = timer.at;
      timer.fn();
    }
    this.now = until;
  }
}
