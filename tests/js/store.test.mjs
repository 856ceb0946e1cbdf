// The editor's store: one copy of the map that every writer goes through, merged by version.

import assert from "node:assert/strict";
import { test } from "node:test";

import { MapStore } from "../../static/journeyboard/editor/store.js";
import { card, mapAt } from "./helpers.mjs";

function watched(store) {
  const heard = [];
  store.subscribe((changes) => heard.push([...changes].sort()));
  return heard;
}

test("a late answer with an older version does not replace a newer copy", () => {
  const store = new MapStore(mapAt(5, { cards: [card(7, 1)] }));
  const heard = watched(store);
  assert.equal(store.apply("card", card(7, 3, "the peer's text")), true); // the live event
  assert.equal(store.apply("card", card(7, 2, "my text")), false); // my answer, late
  assert.equal(store.get("card", 7).text, "the peer's text");
  assert.deepEqual(heard, [["card:7"]]);
});

test("the echo of one's own edit changes nothing and tells nobody", () => {
  const store = new MapStore(mapAt(5, { cards: [card(7, 1)] }));
  const heard = watched(store);
  store.apply("card", card(7, 2, "mine")); // the answer
  store.apply("card", card(7, 2, "mine")); // the same version, again, from the socket
  assert.deepEqual(heard, [["card:7"]]);
});

test("a deleted item is not brought back by a late answer or a snapshot that predates it", () => {
  const store = new MapStore(mapAt(5, { cards: [card(7, 1)] }));
  store.drop("card", 7);
  assert.equal(store.apply("card", card(7, 2)), false);
  store.load(mapAt(6, { cards: [card(7, 2)] }));
  assert.equal(store.get("card", 7), undefined);
});

test("a batch tells subscribers once, with everything it changed", () => {
  const store = new MapStore(mapAt(5, { cards: [card(7, 1)] }));
  const heard = watched(store);
  store.batch(() => {
    store.apply("card", card(7, 2));
    store.apply("card", card(8, 1));
    store.drop("card", 7);
  });
  assert.deepEqual(heard, [["card:7", "card:8"]]);
});

test("a newer map removes what it lacks and keeps newer versions held", () => {
  const store = new MapStore(mapAt(5, { cards: [card(7, 1), card(8, 1)] }));
  store.apply("card", card(7, 4, "from my own answer"));
  const heard = watched(store);
  store.load(mapAt(6, { cards: [card(7, 3, "older")] }));
  assert.equal(store.get("card", 7).text, "from my own answer");
  assert.equal(store.get("card", 8), undefined);
  assert.equal(store.revision, 6);
  assert.deepEqual(heard, [["card:8", "journey"]]);
});

test("an older map removes nothing: what it lacks may have been created since", () => {
  const store = new MapStore(mapAt(5, { cards: [card(7, 1)] }));
  store.advance(9); // events up to 9 applied, among them card 8's creation
  store.apply("card", card(8, 1));
  store.load(mapAt(6, { cards: [card(7, 2, "newer text")] }));
  assert.ok(store.get("card", 8));
  assert.equal(store.get("card", 7).text, "newer text");
  assert.equal(store.revision, 9);
});

test("a renumbered cell gets its new positions without a version bump", () => {
  const store = new MapStore(mapAt(5, { cards: [card(7, 1), card(8, 1)] }));
  store.renumber("card", { 7: 131072, 8: 65536 });
  assert.deepEqual(store.inCell("card", 1, 2).map((c) => c.id), [8, 7]);
  assert.equal(store.get("card", 7).version, 1);
});

test("the journey's fields keep the newer version, and the revision stays the store's", () => {
  const store = new MapStore(mapAt(5));
  store.setJourney({ title: "Renamed", version: 3, revision: 99 });
  store.setJourney({ title: "Stale", version: 2 });
  assert.equal(store.journey.title, "Renamed");
  assert.equal(store.revision, 5);
});

test("a redraw is asked for even when nothing in the copy changed", () => {
  const store = new MapStore(mapAt(5));
  const heard = watched(store);
  store.redraw();
  assert.deepEqual(heard, [["map"]]);
});
