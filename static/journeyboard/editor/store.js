// The map as the server last confirmed it. The grid is always drawn from here.

const byPosition = (a, b) => (a.position - b.position) || (a.id - b.id);

export class MapStore {
  constructor(map, voc = null) {
    this.load(map);
    // What customers said (NPS, CSAT, CES, sentiment per touchpoint and phase), from rollups.
    this.voc = voc;
  }

  load(map) {
    const { phases, lanes, cells, touchpoints, emotions, opportunities, persona, ...journey } = map;
    this.journey = journey;
    this.persona = persona;
    this.items = {
      phase: new Map(phases.map((p) => [p.id, p])),
      lane: new Map(lanes.map((l) => [l.id, l])),
      card: new Map(cells.flatMap((cell) => cell.cards).map((c) => [c.id, c])),
      touchpoint: new Map(touchpoints.map((t) => [t.id, t])),
      emotion: new Map(emotions.map((e) => [e.id, e])),
      opportunity: new Map(opportunities.map((o) => [o.id, o])),
    };
  }

  get(kind, id) { return this.items[kind].get(id); }
  put(kind, item) { this.items[kind].set(item.id, item); return item; }

  /** Keep whichever copy is newer: a late echo of our own earlier edit must not undo a later one. */
  putIfNewer(kind, item) {
    const current = this.get(kind, item.id);
    if (!current || item.version >= current.version) this.put(kind, item);
  }
  drop(kind, id) { this.items[kind].delete(id); }

  renumber(kind, positions) {
    for (const [id, position] of Object.entries(positions || {})) {
      const item = this.get(kind, Number(id));
      if (item) item.position = position;
    }
  }

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
    return [...this.items[kind].values()]
      .filter((i) => i.phase === phaseId && (kind === "opportunity" || i.lane === laneId))
      .sort(byPosition);
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
    return Object.fromEntries(Object.entries(held).filter(([, n]) => n > 0));
  }
}
