// Building DOM safely: text always goes in as text nodes, never as HTML.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function svg(tag, attrs = {}) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  return el;
}

export function cssPixels(name, fallback) {
  const value = parseFloat(getComputedStyle(document.documentElement).getPropertyValue(name));
  return Number.isFinite(value) ? value : fallback;
}

/**
 * Typing in place: Enter (without Shift) or leaving the field saves, Escape cancels.
 * ``finish(value, save)`` runs once, with the trimmed text.
 */
export function editInPlace(input, finish) {
  let done = false;
  const end = (save) => {
    if (done) return;
    done = true;
    finish(input.value.trim(), save);
  };
  input.addEventListener("keydown", (event) => {
    event.stopPropagation(); // the grid's own keys do not apply while typing
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); end(true); }
    if (event.key === "Escape") { event.preventDefault(); end(false); }
  });
  input.addEventListener("blur", () => end(true));
  input.focus();
}
