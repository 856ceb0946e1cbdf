// Asking before a delete: a modal <dialog> (focus stays inside it, Escape cancels, and the
// browser tells assistive technology it is a dialog), not window.confirm, whose text cannot be
// styled, read as a dialog's label, or tested without taking over the page.

import { h } from "./dom.js";

let asked = 0;

/** Resolves true when the user confirms ``message``; the safe answer, Cancel, has the focus. */
export function confirmDialog({ title, message, confirm = "Delete" }) {
  asked += 1;
  const ids = { title: `confirm-title-${asked}`, message: `confirm-message-${asked}` };
  return new Promise((resolve) => {
    const cancelButton = h("button", { type: "button", value: "cancel", text: "Cancel" });
    const confirmButton = h("button", { type: "button", class: "danger", value: "confirm", text: confirm });
    const dialog = h("dialog", {
      class: "confirm-dialog", role: "alertdialog", "aria-labelledby": ids.title, "aria-describedby": ids.message,
    },
    h("h2", { id: ids.title, text: title }),
    h("p", { id: ids.message, text: message }),
    h("div", { class: "dialog-actions" }, cancelButton, confirmButton));
    for (const button of [cancelButton, confirmButton]) {
      button.addEventListener("click", () => dialog.close(button.value));
    }
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "confirm");
    });
    document.body.append(dialog);
    dialog.showModal();
    cancelButton.focus();
  });
}
