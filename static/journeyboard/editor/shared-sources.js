// The shared survey sources page (admins): the connector section for sources of no map.
// Shared sources feed no one map's socket, so their runs are followed by polling alone.

import { connectorSection } from "./connectors.js";
import { h } from "./dom.js";

const toasts = document.querySelector("[data-toasts]");
const notify = (text, kind = "info") => {
  const toast = h("div", { class: `toast ${kind}`, text });
  toasts?.append(toast);
  setTimeout(() => toast.remove(), 6000);
};

document.querySelector("[data-shared-sources]")?.append(connectorSection({ journeyId: null, notify }));
