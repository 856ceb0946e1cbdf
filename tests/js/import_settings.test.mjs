// The import wizard's choices as data: match keys as the server computes them, which column is
// which field, the score presets and the touchpoint value table.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  IGNORE, KEEP, PRESETS, answerOutcome, columnChoices, duplicateFields, mappingFrom, matchKey,
  missingFields, settingsToSave, touchpointFor, touchpointValues,
} from "../../static/journeyboard/editor/import-settings.js";

test("a match key is what feedback/matching.py makes of a value", () => {
  // The same cases as the Python function's: NBSP, full-width letters, runs of spaces, case.
  assert.equal(matchKey("PTS\u00a0-\u00a0Patient Transport"), "pts - patient transport");
  assert.equal(matchKey("  Walk-in \t clinic\n"), "walk-in clinic");
  assert.equal(matchKey("ＰＴＳ"), "pts");
  assert.equal(matchKey("a\x1cb\x85c"), "a b c"); // Python's whitespace, not JavaScript's \s
  assert.equal(matchKey("\ufeffx"), "\ufeffx"); // ... which would strip a BOM Python keeps
  assert.equal(matchKey(null), "");
  assert.equal(matchKey(111), "111");
  assert.equal(matchKey("é".repeat(100)).length, 80);
  assert.equal(Array.from(matchKey("😀".repeat(100))).length, 80); // code points, as Python counts
});

test("columns start from the mapping and kept columns; a field chosen twice is pointed out", () => {
  const choices = columnChoices(["Comment ID", "Trust", "Date", "Q1", "Q2"], { response_id: "Comment ID", submitted_at: "Date", csat: "Q1", nps: "Gone" }, ["Trust"]);
  assert.deepEqual([...choices], [["Comment ID", "response_id"], ["Trust", KEEP], ["Date", "submitted_at"], ["Q1", "csat"], ["Q2", IGNORE]]);
  assert.deepEqual(duplicateFields(choices), []);
  choices.set("Q2", "csat");
  assert.deepEqual(duplicateFields(choices), [{ field: "csat", columns: ["Q1", "Q2"] }]);
  choices.set("Q1", KEEP);
  assert.deepEqual(duplicateFields(choices), []);
  assert.deepEqual(mappingFrom(choices), {
    // Every field not chosen is sent as null ("not read"), not left for the server to guess.
    fieldMapping: {
      response_id: "Comment ID", submitted_at: "Date", nps: null, csat: "Q2", ces: null,
      comment: null, channel: null, touchpoint: null, phase: null,
    },
    attributeColumns: ["Trust", "Q1"],
  });
  assert.deepEqual(missingFields(choices), []);
  choices.set("Date", IGNORE);
  choices.set("Q2", IGNORE);
  assert.deepEqual(missingFields(choices), ["submitted_at", "a score or comment"]);
});

test("a reversed 1–5 scale keeps its don't-know codes for the user to decide", () => {
  const values = ["1", "2", "3", "4", "5", "6", "7"];
  const reversed = PRESETS.reverse("csat", values);
  assert.deepEqual(reversed, { 1: 5, 2: 4, 3: 3, 4: 2, 5: 1 });
  const rest = PRESETS.restNoAnswer("csat", values, reversed);
  assert.deepEqual(rest, { 6: null, 7: null });
  assert.deepEqual(answerOutcome("csat", "6", {}), { kind: "refused" });
  assert.deepEqual(answerOutcome("csat", "6", rest), { kind: "empty" });
  assert.deepEqual(answerOutcome("csat", "2", reversed), { kind: "mapped", number: 4 });
  assert.deepEqual(answerOutcome("csat", "2", {}), { kind: "written", number: 2 });
});

test("1–10 answers fold onto the 1–5 CSAT scale", () => {
  assert.deepEqual(PRESETS.tenToFive("csat", ["1", "2", "3", "9", "10", "11", "x"]), { 1: 1, 2: 1, 3: 2, 9: 5, 10: 5 });
});

test("labels read best to worst on the field's scale, and don't-know answers are no answer", () => {
  const values = ["Very satisfied", "SATISFIED", "Neither satisfied nor dissatisfied", "Dissatisfied", "Very\u00a0dissatisfied", "Don't know", "Purple"];
  assert.deepEqual(PRESETS.labels("csat", values), {
    "very satisfied": 5, satisfied: 4, "neither satisfied nor dissatisfied": 3, dissatisfied: 2, "very dissatisfied": 1, "don't know": null,
  });
  assert.deepEqual(PRESETS.labels("nps", ["Very good", "Very poor"]), { "very good": 10, "very poor": 0 });
});

test("a named value finds its touchpoint by the saved table, then by code, then by name", () => {
  const touchpoints = [
    { name: "Patient transport", code: "pts" },
    { name: "A\u00a0&\u00a0E", code: "ae" },
    { name: "No code yet", code: "" },
  ];
  assert.equal(touchpointFor("PTS", touchpoints), "pts");
  assert.equal(touchpointFor("a & e", touchpoints), "ae");
  assert.equal(touchpointFor("111", touchpoints, { 111: "pts" }), "pts");
  assert.equal(touchpointFor("No code yet", touchpoints), "");
  assert.equal(touchpointFor("Walk-in", touchpoints), "");
  // The file's choices go over the saved table; "" drops a rule; other values' rules stay.
  assert.deepEqual(touchpointValues({ 111: "pts", old: "ae" }, { "PTS\u00a0- Patient Transport": "pts", 111: "" }), { old: "ae", "pts - patient transport": "pts" });
});

test("the settings saved keep what the wizard does not edit", () => {
  const saved = { ignored_values: ["walk-in"], date_format: "iso" };
  const settings = settingsToSave(saved, {
    dateFormat: "day_first", timeZone: "Europe/London", scoreValues: { csat: { 6: null }, nps: {} },
    touchpointTable: { 111: "pts" }, attributeColumns: ["Trust"],
  });
  assert.deepEqual(settings, {
    ignored_values: ["walk-in"], date_format: "day_first", time_zone: "Europe/London",
    attribute_columns: ["Trust"], score_values: { csat: { 6: null } }, touchpoint_values: { 111: "pts" },
  });
});
