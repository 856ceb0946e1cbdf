// One map event (live, or replayed after a gap) applied to the store. Events name the kind of
// change in the past tense (`card_moved`); what they carry goes through the store like any
// other copy, so an event older than what the store holds changes nothing. No socket, no DOM.

import { KINDS } from "./store.js";

// A phase or lane deleted with its content lists what went with it, by plural word.
const SINGULAR = { cards: "card", touchpoints: "touchpoint", emotions: "emotion", opportunities: "opportunity" };

/**
 * Apply ``event`` to ``store``. ``hooks`` hear of what the store cannot do itself:
 * ``persona(id)`` (the map follows another persona: fetch it), ``gone()`` (the journey was
 * deleted), ``shareLinks(link)`` (a share link was created or revoked).
 */
export function applyEvent(store, event, hooks = {}) {
  const payload = event.payload || {};
  const [entity, ...rest] = event.kind.split("_");
  const verb = rest.join("_");
  store.batch(() => {
    if (KINDS.includes(entity)) {
      if (verb === "deleted") {
        store.drop(entity, payload[entity].id);
        for (const [word, ids] of Object.entries(payload.deleted || {})) {
          for (const id of ids) store.drop(SINGULAR[word], id);
        }
      } else {
        store.apply(entity, payload[entity]);
        store.renumber(entity, payload.renumbered);
      }
    } else if (event.kind === "journey_updated") {
      store.setJourney(payload.journey);
      const persona = payload.journey.persona ?? null;
      if (persona !== (store.persona?.id ?? null)) hooks.persona?.(persona);
    } else if (event.kind === "persona_updated") {
      if (store.persona?.id === payload.persona.id) store.setPersona(payload.persona);
    } else if (event.kind === "persona_removed") {
      if (store.persona?.id === payload.persona.id) store.setPersona(null);
    } else if (event.kind === "voc_updated") {
      for (const emotion of payload.emotions || []) {
        if (emotion.deleted) store.drop("emotion", emotion.id);
        else store.apply("emotion", emotion);
      }
      store.setVoc(payload.metrics);
    } else if (event.kind === "journey_deleted") {
      hooks.gone?.();
    } else if (event.kind.startsWith("share_link_")) {
      hooks.shareLinks?.(payload.share_link);
    }
    // Items a change touched besides its own (opportunities unlinked from a deleted
    // touchpoint, or linked back to it), newer versions each.
    for (const [kind, items] of Object.entries(payload.changed || {})) {
      for (const item of items) store.apply(kind, item);
    }
    store.advance(event.revision);
  });
}
