// The import wizard's choices as data: which column is which field, how dates and score
// answers are read, which touchpoint each named value stands for. Pure functions (no DOM),
// unit-tested in tests/js/import_settings.test.mjs; wizard.js draws them.

/** Our fields, in the order the column chooser offers them. */
export const FIELDS = [
  ["response_id", "Response id"],
  ["submitted_at", "Submitted at"],
  ["nps", "NPS (0–10)"],
  ["csat", "CSAT (1–5)"],
  ["ces", "CES (1–7)"],
  ["comment", "Comment"],
  ["channel", "Channel"],
  ["touchpoint", "Touchpoint"],
  ["phase", "Phase"],
];
export const KEEP = "attribute"; // a column kept on each response as an attribute
export const IGNORE = ""; // a column the import does not read
export const REQUIRED = ["response_id", "submitted_at"];
export const SCORES = ["nps", "csat", "ces"];
// The same scales as feedback/rows.py (SCALES).
export const SCALES = { nps: [0, 10], csat: [1, 5], ces: [1, 7] };

export const DATE_FORMATS = [
  ["iso", "ISO 8601 (2024-09-30, 2024-09-30T14:05Z)"],
  ["day_first", "Day first (30/09/2024)"],
  ["month_first", "Month first (9/30/2024)"],
  ["excel_serial", "Excel serial numbers (45565)"],
  ["auto", "Work it out from each value"],
];

// Python's str.split() whitespace (str.isspace), which is not quite JavaScript's \s: it counts
// the ASCII separators \x1c–\x1f and NEL (\x85) and not the BOM (\ufeff).
const WHITESPACE = /[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

/**
 * The value compared, exactly as feedback/matching.py's match_key computes it: NFKC (a
 * non-breaking space becomes a space), whitespace runs collapsed and trimmed, lower case, the
 * first 80 characters (code points, as Python counts them).
 */
export function matchKey(value) {
  if (value === null || value === undefined) return "";
  const text = String(value).normalize("NFKC");
  const collapsed = text.split(WHITESPACE).filter(Boolean).join(" ").toLowerCase();
  return Array.from(collapsed).slice(0, 80).join("");
}

/** Each column's choice (a field, KEEP or IGNORE) from a field mapping and kept columns. */
export function columnChoices(columns, fieldMapping = {}, attributeColumns = []) {
  const choices = new Map(columns.map((column) => [column, IGNORE]));
  for (const column of attributeColumns) if (choices.has(column)) choices.set(column, KEEP);
  for (const [field, column] of Object.entries(fieldMapping)) {
    if (choices.has(column) && FIELDS.some(([f]) => f === field)) choices.set(column, field);
  }
  return choices;
}

/**
 * The fields chosen for more than one column. They are shown, not resolved by dropping one:
 * arrow keys on a closed list change the choice at every step, so a keyboard user passing
 * "Response id" on the way to "CSAT" must not have silently taken it from another column.
 */
export function duplicateFields(choices) {
  const seen = new Map();
  for (const [column, choice] of choices) {
    if (choice === IGNORE || choice === KEEP) continue;
    seen.set(choice, [...(seen.get(choice) || []), column]);
  }
  return [...seen].filter(([, columns]) => columns.length > 1).map(([field, columns]) => ({ field, columns }));
}

/**
 * The source's ``field_mapping`` (field → column) and kept columns from the choices. A field
 * no column was chosen for maps to null ("not read"): the server would otherwise read a column
 * named like the field, such as an ignored column called "nps".
 */
export function mappingFrom(choices) {
  const fieldMapping = Object.fromEntries(FIELDS.map(([field]) => [field, null]));
  const attributeColumns = [];
  for (const [column, choice] of choices) {
    if (choice === KEEP) attributeColumns.push(column);
    else if (choice !== IGNORE) fieldMapping[choice] = column;
  }
  return { fieldMapping, attributeColumns };
}

/** The fields the choices leave without a column, of those an import needs. */
export function missingFields(choices) {
  const chosen = new Set(choices.values());
  const missing = REQUIRED.filter((field) => !chosen.has(field));
  if (![...SCORES, "comment"].some((field) => chosen.has(field))) missing.push("a score or comment");
  return missing;
}

// --- Score answers -----------------------------------------------------------------------------

const asNumber = (value) => {
  const text = String(value).trim().replace(",", ".");
  return /^-?\d+(\.0+)?$/.test(text) ? Number.parseInt(text, 10) : null;
};

/** Whether an answer, read as written, is a whole number on the field's scale. */
export function onScale(field, value) {
  const [low, high] = SCALES[field];
  const number = asNumber(value);
  return number !== null && number >= low && number <= high;
}

// Answers that mean "no answer": left empty, not refused.
const NO_ANSWER = new Set([
  "don't know", "dont know", "do not know", "don’t know", "dk", "n/a", "na", "not applicable",
  "prefer not to say", "no answer", "no opinion", "not sure", "unsure", "-",
].map(matchKey));

// Labelled answers, best first: each list is one five-point scale as survey tools word it.
const LABEL_SCALES = [
  ["very satisfied", "satisfied", "neither satisfied nor dissatisfied", "dissatisfied", "very dissatisfied"],
  ["very good", "good", "neither good nor poor", "poor", "very poor"],
  ["extremely likely", "likely", "neither likely nor unlikely", "unlikely", "extremely unlikely"],
  ["strongly agree", "agree", "neither agree nor disagree", "disagree", "strongly disagree"],
  ["very easy", "easy", "neither easy nor difficult", "difficult", "very difficult"],
];
const LABEL_ALIASES = { neutral: 2, neither: 2, "very likely": 0, "very unlikely": 4, "fairly good": 1, "fairly poor": 3 };

/** A label's place on a five-point scale (0 best … 4 worst), or null for an unknown label. */
function labelPlace(key) {
  for (const scale of LABEL_SCALES) {
    const place = scale.indexOf(key);
    if (place >= 0) return place;
  }
  return key in LABEL_ALIASES ? LABEL_ALIASES[key] : null;
}

/**
 * The presets of a score's value map. ``values`` are the column's distinct answers as written;
 * each returns {match_key: number | null} for the answers it covers (the others are left as
 * they were).
 */
export const PRESETS = {
  /** A 1–5 scale where 1 is best: 1 → 5 … 5 → 1 (other answers, such as 6 "don't know", stay). */
  reverse: (field, values) => {
    const map = {};
    for (const value of values) {
      const number = asNumber(value);
      if (number !== null && number >= 1 && number <= 5) map[matchKey(value)] = 6 - number;
    }
    return map;
  },
  /** A 1–10 answer on the 1–5 CSAT scale: 1–2 → 1, 3–4 → 2 … 9–10 → 5. */
  tenToFive: (field, values) => {
    const map = {};
    for (const value of values) {
      const number = asNumber(value);
      if (number !== null && number >= 1 && number <= 10) map[matchKey(value)] = Math.ceil(number / 2);
    }
    return map;
  },
  /** Labels (Very satisfied … Very dissatisfied → 5 … 1 on CSAT), "don't know" → no answer. */
  labels: (field, values) => {
    const [low, high] = SCALES[field];
    const map = {};
    for (const value of values) {
      const key = matchKey(value);
      if (NO_ANSWER.has(key)) { map[key] = null; continue; }
      const place = labelPlace(key);
      if (place !== null) map[key] = Math.round(high - (place * (high - low)) / 4);
    }
    return map;
  },
  /** Every answer that is not on the scale and has no number yet: no answer (left empty). */
  restNoAnswer: (field, values, current = {}) => {
    const map = {};
    for (const value of values) {
      const key = matchKey(value);
      if (!(key in current) && !onScale(field, value)) map[key] = null;
    }
    return map;
  },
};

/** What an answer becomes: "as written" (its number), a mapped number, no answer, or refused. */
export function answerOutcome(field, value, scoreMap = {}) {
  const key = matchKey(value);
  if (key in scoreMap) return scoreMap[key] === null ? { kind: "empty" } : { kind: "mapped", number: scoreMap[key] };
  if (key === "") return { kind: "empty" };
  if (onScale(field, value)) return { kind: "written", number: asNumber(value) };
  return { kind: "refused" };
}

// --- Touchpoints -------------------------------------------------------------------------------

/**
 * The touchpoint code a named value stands for: the saved value table first, then a
 * touchpoint whose code or name is the same value (compared by match key). "" if none.
 */
export function touchpointFor(value, touchpoints, savedValues = {}) {
  const key = matchKey(value);
  if (key in savedValues) return savedValues[key] || "";
  const coded = touchpoints.filter((t) => t.code);
  const byCode = coded.find((t) => matchKey(t.code) === key);
  if (byCode) return byCode.code;
  const byName = coded.find((t) => matchKey(t.name) === key);
  return byName ? byName.code : "";
}

/**
 * The saved value table with this file's choices applied: {value: code} for the values shown
 * ("" leaves one unmatched, dropping a saved rule). Values from earlier files stay.
 */
export function touchpointValues(saved = {}, choices = {}) {
  const table = { ...saved };
  for (const [value, code] of Object.entries(choices)) {
    const key = matchKey(value);
    if (code) table[key] = code;
    else delete table[key];
  }
  return table;
}

/** The import settings to save: the saved ones with the wizard's choices over them. */
export function settingsToSave(saved = {}, { dateFormat, timeZone, scoreValues, touchpointTable, attributeColumns }) {
  const settings = { ...saved, date_format: dateFormat, time_zone: timeZone, attribute_columns: attributeColumns };
  const scores = {};
  for (const [field, map] of Object.entries(scoreValues || {})) if (Object.keys(map).length) scores[field] = map;
  settings.score_values = scores;
  settings.touchpoint_values = touchpointTable;
  return settings;
}
