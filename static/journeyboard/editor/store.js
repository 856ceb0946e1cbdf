// The map as the server last confirmed it, and the one way to change that copy: the page's data,
// HTTP answers, live events, undo and redo, snapshots and reloads all go through `apply`,
// `drop` and `load`. Two copies of one item are merged by `version` (the newer wins), so a late
// HTTP answer cannot undo a peer's newer edit, and the echo of one's own edit changes nothing.
// Subscribers hear once per batch of real changes, with what changed. No DOM in here.

export const KINDS = ["phase", "lane", "card", "touchpoint", "emotion", "opportunity"];

const byPosition = (a, b) => (a.position - b.position) || (a.id - b.id);

function itemsOf(map) {
  return {
    phase: map.phases,
    lane: map.lanes,
    card: map.cells.flatMap((cell) => cell.cards),
    touchpoint: map.touchpoints,
    emotion: map.emotions,
    opportunity: map.opportunities,
  };
}

export class MapStore {
  constructor(map, voc = null) {
    this.items = Object.fromEntries(KINDS.map((kind) => [kind, new Map()]));
    // Ids deleted while this page was open. Ids are never reused, so an answer or event that
    // names one arrived late and must not bring the item back.
    this.deleted = Object.fromEntries(KINDS.map((kind) => [kind, new Set()]));
    this.listeners = new Set();
    this.depth = 0;
    this.changes = new Set();
    this.revision = 0; // the journey revision whose events this copy holds, at least
    this.journey = {};
    this.persona = null;
    // What customers said (NPS, CSAT, CES, sentiment per touchpoint and phase), from rollups.
    this.voc = voc;
    this.load(map);
    this.changes.clear(); // the first load is not news to anyone
  }

  // --- Telling subscribers ---------------------------------------------------------------------

  /** ``fn(changes)`` after each batch of changes: a Set of "kind:id", "journey", "persona",
   *  "voc", or "map" (draw it all). */
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Run ``work`` and tell subscribers once, after it, about everything it changed. */
  batch(work) {
    this.depth += 1;
    try {
      return work();
    } finally {
      this.depth -= 1;
      if (this.depth === 0 && this.changes.size) {
        const changes = this.changes;
        this.changes = new Set();
        for (const fn of this.listeners) fn(changes);
      }
    }
  }

  changed(what) {
    this.batch(() => this.changes.add(what));
  }

  /** Have everything drawn again: after a refused save the page can show what was never saved
   *  (a card where it was dropped, an emotion where it was dragged) though this copy is right. */
  redraw() {
    this.changed("map");
  }

  // --- Writing ---------------------------------------------------------------------------------

  /** Keep ``item`` if it is newer than the copy held; true when it was kept. */
  apply(kind, item) {
    if (this.deleted[kind].has(item.id)) return false;
    const current = this.items[kind].get(item.id);
    if (current && !(item.version > current.version)) return false;
    this.items[kind].set(item.id, item);
    this.changed(`${kind}:${item.id}`);
    return true;
  }

  /** The item was deleted: forget it, and refuse it should a late copy of it arrive. */
  drop(kind, id) {
    this.deleted[kind].add(id);
    this.remove(kind, id);
  }

  remove(kind, id) {
    if (this.items[kind].delete(id)) this.changed(`${kind}:${id}`);
  }

  /** New positions of a renumbered cell (a renumber moves no item and bumps no version). */
  renumber(kind, positions) {
    for (const [id, position] of Object.entries(positions || {})) {
      const item = this.get(kind, Number(id));
      if (item && item.position !== position) {
        this.items[kind].set(item.id, { ...item, position });
        this.changed(`${kind}:${item.id}`);
      }
    }
  }

  /** The journey's own fields (title, status, persona id…), when newer than those held. */
  setJourney(fields) {
    if (fields.version !== undefined && this.journey.version !== undefined && fields.version < this.journey.version) return;
    const { revision, ...rest } = fields; // the revision is the store's own (see advance)
    this.journey = { ...this.journey, ...rest };
    this.changed("journey");
  }

  setPersona(persona) {
    if (persona === this.persona) return;
    this.persona = persona;
    this.changed("persona");
  }

  setVoc(voc) {
    // New numbers for the same window: what the page says of the window, and the rule that
    // flags a phase, stay as the page was served them.
    this.voc = { window: this.voc?.window, disagreement: this.voc?.disagreement, ...voc };
    this.changed("voc");
  }

  /** Events up to ``revision`` are in this copy. */
  advance(revision) {
    this.revision = Math.max(this.revision, revision);
  }

  /**
   * A whole map (a snapshot or a reload), merged like any other copy: newer versions win and
   * deleted ids stay deleted. When the map is at least as new as this copy, what it lacks was
   * deleted (or created after it was read, and that item's own event brings it back); an older
   * map cannot say, so then nothing is removed.
   */
  load(map) {
    this.batch(() => {
      const fresh = itemsOf(map);
      const complete = map.revision >= this.revision;
      for (const kind of KINDS) {
        const ids = new Set();
        for (const item of fresh[kind]) {
          ids.add(item.id);
          this.apply(kind, item);
        }
        if (!complete) continue;
        for (const id of [...this.items[kind].keys()]) if (!ids.has(id)) this.remove(kind, id);
      }
      const { phases, lanes, cells, touchpoints, emotions, opportunities, persona, ...journey } = map;
      if (complete) {
        this.setJourney(journey);
        this.setPersona(persona ?? null);
      }
      this.advance(map.revision);
    });
  }

  // --- Reading ---------------------------------------------------------------------------------

  get(kind, id) { return this.items[kind].get(id); }

  phases() { return [...this.items.phase.values()].sort(byPosition); }
  lanes() { return [...this.items.lane.values()].sort(byPosition); }

  /** Items of one kind grouped by cell key ("phase:lane", or "phase" for opportunities). */
  grouped(kind) {
    const groups = new Map();
    for (const item of this.items[kind].values()) {
      const key = kind === "opportunity" ? `${item.phase}` : `${item.phase}:${item.lane}`;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(item);
    }
    for (const list of groups.values()) list.sort(byPosition);
    return groups;
  }

  inCell(kind, phaseId, laneId) {
    // An opportunity shows once, in its own Opportunities lane (none named: the first one);
    // no lane asked for: all of its phase's.
    const first = kind === "opportunity" ? this.firstOpportunityLane() : undefined;
    return [...this.items[kind].values()]
      .filter((i) => i.phase === phaseId && (kind === "opportunity"
        ? laneId === undefined || (i.lane ?? first) === (laneId ?? first)
        : i.lane === laneId))
      .sort(byPosition);
  }

  /** The map's first Opportunities lane: where an opportunity that names no lane shows. */
  firstOpportunityLane() {
    const lanes = [...this.items.lane.values()].filter((l) => l.kind === "opportunities");
    return lanes.sort(byPosition)[0]?.id;
  }

  vocEmotion(phaseId) {
    for (const emotion of this.items.emotion.values()) {
      if (emotion.phase === phaseId && emotion.source === "voc") return emotion;
    }
    return null;
  }

  touchpointMetrics(touchpointId) { return this.voc?.touchpoints?.[touchpointId] || null; }
  phaseMetrics(phaseId) { return this.voc?.phases?.[phaseId] || null; }

  teamEmotion(phaseId) {
    for (const emotion of this.items.emotion.values()) {
      if (emotion.phase === phaseId && emotion.source === "team") return emotion;
    }
    return null;
  }

  /** What a phase or lane holds, by word (cards, touchpoints…), for the delete question. */
  contents(kind, id) {
    const field = kind === "phase" ? "phase" : "lane";
    const count = (k) => [...this.items[k].values()].filter((i) => i[field] === id).length;
    const held = { cards: count("card"), touchpoints: count("touchpoint") };
    if (kind === "phase") {
      held.emotions = count("emotion");
      held.opportunities = count("opportunity");
    }
    // The survey responses its touchpoints hold (unmatched, not deleted, if it goes).
    held["survey responses"] = [...this.items.touchpoint.values()]
      .filter((t) => t[field] === id)
      .reduce((n, t) => n + (this.touchpointMetrics(t.id)?.responses || 0), 0);
    return Object.fromEntries(Object.entries(held).filter(([, n]) => n > 0));
  }
}
