// The map went out of reach while open: it was restricted without this user among its
// collaborators, or deleted. The socket was closed (4404) and the API now answers 404, so
// the page stops showing the map and says why, instead of a map nobody can save to.

import { h } from "./dom.js";

/** Replace the editor with the reason it is gone (``deleted``: the map no longer exists). */
export function showAccessLost({ deleted = false } = {}) {
  if (document.body.dataset.access === "lost") return;
  document.body.dataset.access = "lost";
  // The toolbar, the grid and the panels go from view (app.css: .map-out-of-reach).
  document.body.classList.add("map-out-of-reach");
  const main = document.querySelector(".editor-main") || document.body;
  const notice = h("section", { class: "access-lost", role: "alert", "aria-labelledby": "access-lost-title" },
    h("h1", { id: "access-lost-title", text: deleted ? "This journey was deleted" : "You no longer have access to this map" }),
    h("p", { text: deleted
      ? "Someone deleted it while you had it open."
      : "Its owner or an admin restricted it to its collaborators, and you are not one of them. Ask the owner if you need it." }),
    h("p", {}, h("a", { href: "/", text: "Back to the journeys" })));
  main.prepend(notice);
  notice.querySelector("a").focus();
}
