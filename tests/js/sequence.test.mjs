// Map events in revision order: the short reorder buffer, resyncs, and what a closed socket does
// to a resync in flight.

import assert from "node:assert/strict";
import { test } from "node:test";

import { ANSWER_MS, EventSequence, HOLD_MS } from "../../static/journeyboard/live/sequence.js";
import { ManualClock } from "./helpers.mjs";

/** A sequence over a plain revision counter, recording what it applied and asked for. */
function sequenceAt(revision, { canSend = () => true } = {}) {
  const clock = new ManualClock();
  const seen = { applied: [], batches: 0, resyncs: [] };
  const sequence = new EventSequence({
    revision: () => revision,
    apply: (events) => {
      seen.batches += 1;
      for (const event of events) {
        assert.equal(event.revision, revision + 1, "events are applied in revision order");
        revision = event.revision;
        seen.applied.push(event.revision);
      }
    },
    resync: (after) => {
      if (!canSend()) return false;
      seen.resyncs.push(after);
      return true;
    },
    timers: clock,
  });
  return { sequence, clock, seen };
}

const at = (revision) => ({ type: "event", revision, kind: "card_updated", payload: {} });

test("events in order are applied as they come", () => {
  const { sequence, seen } = sequenceAt(10);
  sequence.event(at(11));
  sequence.event(at(12));
  assert.deepEqual(seen.applied, [11, 12]);
  assert.deepEqual(seen.resyncs, []);
});

test("an event that comes early waits for the one before it, and no resync is sent", () => {
  const { sequence, clock, seen } = sequenceAt(10);
  sequence.event(at(12));
  sequence.event(at(13));
  clock.advance(HOLD_MS - 50);
  assert.deepEqual(seen.applied, []);
  sequence.event(at(11));
  assert.deepEqual(seen.applied, [11, 12, 13]);
  assert.equal(seen.batches, 1);
  clock.advance(ANSWER_MS);
  assert.deepEqual(seen.resyncs, []);
});

test("a gap that does not close within the hold time asks for what was missed", () => {
  const { sequence, clock, seen } = sequenceAt(10);
  sequence.event(at(12));
  clock.advance(HOLD_MS - 1);
  assert.deepEqual(seen.resyncs, []);
  clock.advance(1);
  assert.deepEqual(seen.resyncs, [10]);
});

test("events that arrive while a resync is unanswered follow its answer, in order", () => {
  const { sequence, clock, seen } = sequenceAt(10);
  sequence.event(at(13));
  clock.advance(HOLD_MS);
  sequence.event(at(14));
  assert.deepEqual(seen.applied, []);
  sequence.replayed([at(11), at(12), at(13)]);
  assert.deepEqual(seen.applied, [11, 12, 13, 14]);
  assert.deepEqual(seen.resyncs, [10]);
});

test("a socket that closes while a resync is pending asks again on reconnecting", () => {
  const { sequence, clock, seen } = sequenceAt(10);
  sequence.event(at(12));
  clock.advance(HOLD_MS);
  assert.deepEqual(seen.resyncs, [10]);
  sequence.disconnected(); // the answer went down with the socket
  sequence.connected(15); // hello from the new socket: the map moved on meanwhile
  assert.deepEqual(seen.resyncs, [10, 10]);
  sequence.replayed([11, 12, 13, 14, 15].map(at));
  sequence.event(at(16)); // later events still apply
  assert.deepEqual(seen.applied, [11, 12, 13, 14, 15, 16]);
});

test("a resync that cannot be sent leaves nothing pending", () => {
  let up = false;
  const { sequence, seen } = sequenceAt(10, { canSend: () => up });
  sequence.ask(); // the socket is down: nothing is sent, nothing waits
  up = true;
  sequence.connected(12);
  assert.deepEqual(seen.resyncs, [10]);
});

test("an unanswered resync is asked again", () => {
  const { sequence, clock, seen } = sequenceAt(10);
  sequence.connected(12);
  clock.advance(ANSWER_MS);
  assert.deepEqual(seen.resyncs, [10, 10]);
});

test("a snapshot answer applies the held events after it and drops those before", () => {
  let revision = 10;
  const clock = new ManualClock();
  const applied = [];
  const sequence = new EventSequence({
    revision: () => revision,
    apply: (events) => { for (const e of events) { revision = e.revision; applied.push(e.revision); } },
    resync: () => true,
    timers: clock,
  });
  sequence.connected(20);
  sequence.event(at(19));
  sequence.event(at(21));
  revision = 20; // the snapshot, loaded into the store by the socket module
  sequence.snapshot();
  assert.deepEqual(applied, [21]);
});

test("events already applied (replayed, reloaded, echoed) are ignored", () => {
  const { sequence, clock, seen } = sequenceAt(10);
  sequence.event(at(9));
  sequence.event(at(10));
  clock.advance(ANSWER_MS);
  assert.deepEqual(seen.applied, []);
  assert.deepEqual(seen.resyncs, []);
});
