// Who is on the map: members not re-confirmed within the stale time are forgotten.

import assert from "node:assert/strict";
import { test } from "node:test";

import { Roster, STALE_AFTER_MS } from "../../static/journeyboard/live/roster.js";

const state = (member, seen = 1000) => ({ member, user: { id: member, name: member }, cell: null, editing: false, seen });
const me = (member, seen = 1000) => state(member, seen);

test("a member not heard of for the stale time is forgotten; a confirmed one stays", () => {
  let now = 0;
  const roster = new Roster({ now: () => now });
  roster.reset([state("me"), state("olga"), state("sam")], me("me"));
  now = 20000;
  roster.update(state("olga")); // the server's refresh of Olga
  now = STALE_AFTER_MS;
  assert.equal(roster.expire(), false);
  now = STALE_AFTER_MS + 1; // Sam's server died: nobody confirms or says goodbye
  assert.equal(roster.expire(), true);
  assert.deepEqual([...roster.members.keys()], ["me", "olga"]);
  now = 20000 + STALE_AFTER_MS + 1;
  roster.expire();
  assert.deepEqual([...roster.members.keys()], ["me"], "oneself is never forgotten while connected");
});

test("a member who leaves is gone at once, and a reconnect starts the roster afresh", () => {
  const roster = new Roster({ now: () => 0 });
  roster.reset([state("me"), state("olga")], me("me"));
  assert.equal(roster.leave("olga"), true);
  assert.deepEqual([...roster.members.keys()], ["me"]);
  roster.reset([state("me2"), state("sam")], me("me2"));
  assert.deepEqual([...roster.members.keys()], ["me2", "sam"]);
});

test("a member listed on connecting is as old as the server's last confirmation of it", () => {
  let now = 50000;
  const roster = new Roster({ now: () => now });
  // Sam's server died 25 s before this connection; the server still lists him (under 30 s).
  roster.reset([state("me", 1000), state("sam", 975)], me("me", 1000));
  now += STALE_AFTER_MS - 25000;
  assert.equal(roster.expire(), false);
  now += 1;
  assert.equal(roster.expire(), true);
  assert.deepEqual([...roster.members.keys()], ["me"]);
});
