// Map events applied to the editor's store.

import assert from "node:assert/strict";
import { test } from "node:test";

import { applyEvent } from "../../static/journeyboard/editor/events.js";
import { MapStore } from "../../static/journeyboard/editor/store.js";
import { card, mapAt } from "./helpers.mjs";

const event = (revision, kind, payload) => ({ type: "event", revision, kind, payload, journey: 9, actor: 1 });

test("cards created, moved, updated and deleted follow the events, and the revision with them", () => {
  const store = new MapStore(mapAt(5));
  applyEvent(store, event(6, "card_created", { card: card(7, 1, "Asks a friend"), renumbered: {} }));
  applyEvent(store, event(7, "card_moved", { card: card(7, 2, "Asks a friend", { phase: 3 }), renumbered: {} }));
  applyEvent(store, event(8, "card_updated", { card: card(7, 3, "Asks two friends", { phase: 3 }) }));
  assert.equal(store.get("card", 7).text, "Asks two friends");
  assert.equal(store.get("card", 7).phase, 3);
  applyEvent(store, event(9, "card_deleted", { card: { id: 7 } }));
  assert.equal(store.get("card", 7), undefined);
  assert.equal(store.revision, 9);
});

test("an event older than the copy held changes nothing but the revision", () => {
  const store = new MapStore(mapAt(5, { cards: [card(7, 4, "newest")] }));
  let told = 0;
  store.subscribe(() => { told += 1; });
  applyEvent(store, event(6, "card_updated", { card: card(7, 3, "older") }));
  assert.equal(store.get("card", 7).text, "newest");
  assert.equal(store.revision, 6);
  assert.equal(told, 0);
});

test("a phase deleted with its content takes that content from the store", () => {
  const store = new MapStore(mapAt(5, { cards: [card(7, 1), card(8, 1)] }));
  applyEvent(store, event(6, "phase_deleted", { phase: { id: 1 }, deleted: { cards: [7, 8] } }));
  assert.deepEqual(store.phases(), []);
  assert.equal(store.items.card.size, 0);
});

test("a renumber carried by a move reorders the cell", () => {
  const store = new MapStore(mapAt(5, { cards: [card(7, 1), card(8, 1)] }));
  applyEvent(store, event(6, "card_moved", { card: card(8, 2, "eight", { position: 65536 }), renumbered: { 7: 131072 } }));
  assert.deepEqual(store.inCell("card", 1, 2).map((c) => c.id), [8, 7]);
});

test("a journey that follows another persona asks for it; the same persona does not", () => {
  const store = new MapStore(mapAt(5, { persona: { id: 3, name: "Sam" } }));
  const asked = [];
  applyEvent(store, event(6, "journey_updated", { journey: { id: 9, title: "Renamed", persona: 3, version: 2 } }), { persona: (id) => asked.push(id) });
  applyEvent(store, event(7, "journey_updated", { journey: { id: 9, persona: 4, version: 3 } }), { persona: (id) => asked.push(id) });
  assert.deepEqual(asked, [4]);
  assert.equal(store.journey.title, "Renamed");
});

test("survey data brings customers' emotions and the metrics", () => {
  const store = new MapStore(mapAt(5));
  const emotion = { id: 11, phase: 1, source: "voc", score: -2, version: 1 };
  applyEvent(store, event(6, "voc_updated", { emotions: [emotion], metrics: { phases: { 1: { responses: 40 } } } }));
  assert.equal(store.vocEmotion(1).score, -2);
  assert.equal(store.phaseMetrics(1).responses, 40);
  applyEvent(store, event(7, "voc_updated", { emotions: [{ id: 11, deleted: true }], metrics: {} }));
  assert.equal(store.vocEmotion(1), null);
});

test("a deleted journey and share links are passed on to the page", () => {
  const store = new MapStore(mapAt(5));
  const heard = [];
  const hooks = { gone: () => heard.push("gone"), shareLinks: (link) => heard.push(link.id) };
  applyEvent(store, event(6, "share_link_created", { share_link: { id: 4 } }), hooks);
  applyEvent(store, event(7, "journey_deleted", { journey: { id: 9 } }), hooks);
  assert.deepEqual(heard, [4, "gone"]);
});
