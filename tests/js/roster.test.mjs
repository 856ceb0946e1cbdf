// Who is on the map: members not re-confirmed within the stale time are forgotten.

import assert from "node:assert/strict";
import { test } from "node:test";

import { Roster, STALE_AFTER_MS } from "../../static/journeyboard/live/roster.js";

const state = (member, name = member) => ({ member, user: { id: member, name }, cell: null, editing: false });

test("a member not heard of for the stale time is forgotten; a confirmed one stays", () => {
  let now = 0;
  const roster = new Roster({ now: () => now });
  roster.reset([state("me"), state("olga"), state("sam")], "me");
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
  roster.reset([state("me"), state("olga")], "me");
  assert.equal(roster.leave("olga"), true);
  assert.deepEqual([...roster.members.keys()], ["me"]);
  roster.reset([state("me2"), state("sam")], "me2");
  assert.deepEqual([...roster.members.keys()], ["me2", "sam"]);
});
