// Who is on the map: the server's list on connecting, then its updates and leaves.

import assert from "node:assert/strict";
import { test } from "node:test";

import { Roster } from "../../static/journeyboard/live/roster.js";

const state = (member, cell = null) => ({ member, user: { id: member, name: member }, cell, editing: false });

test("a member who leaves is gone at once, and a reconnect starts the roster afresh", () => {
  const roster = new Roster();
  roster.reset([state("me"), state("olga")], state("me"));
  assert.equal(roster.leave("olga"), true);
  assert.equal(roster.leave("olga"), false);
  assert.deepEqual([...roster.members.keys()], ["me"]);
  roster.reset([state("me2"), state("sam")], state("me2"));
  assert.deepEqual([...roster.members.keys()], ["me2", "sam"]);
  assert.equal(roster.me, "me2");
});

test("an update moves a member to another cell, or adds one who just arrived", () => {
  const roster = new Roster();
  roster.reset([state("me"), state("olga")], state("me"));
  roster.update(state("olga", { phase: 1, lane: 2 }));
  roster.update(state("sam"));
  assert.deepEqual(roster.members.get("olga").cell, { phase: 1, lane: 2 });
  assert.deepEqual([...roster.members.keys()], ["me", "olga", "sam"]);
});

test("a quiet member stays: only the server says when someone left", () => {
  const roster = new Roster();
  roster.reset([state("me"), state("olga")], state("me"));
  // However long nothing is heard of Olga, she is on the map until a leave frame says not.
  assert.deepEqual([...roster.values()].map((s) => s.member), ["me", "olga"]);
});
