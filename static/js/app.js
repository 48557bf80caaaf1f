// Small progressive enhancements. Every page works without this file (bars and boxes drawn from
// data then show empty).

// The Content-Security-Policy (config/security_headers.py) refuses style="" attributes, so sizes and
// colours that come from data travel in data attributes and are set here, through the CSSOM, which
// the policy allows: data-w="37" (a bar's or a progress bar's width, in %), data-c (a label colour),
// data-fg (its text colour), data-box="left top width height" (a box on an image, in %).
function applyDataStyles(root) {
  const scope = root && root.querySelectorAll ? root : document;
  const nodes = [...scope.querySelectorAll("[data-w], [data-c], [data-fg], [data-box]")];
  if (scope.matches && scope.matches("[data-w], [data-c], [data-fg], [data-box]")) nodes.push(scope);
  nodes.forEach((el) => {
    const d = el.dataset;
    if (d.w !== undefined) el.style.setProperty("--w", `${parseFloat(d.w) || 0}%`);
    if (d.c) el.style.setProperty("--c", d.c);
    if (d.fg) el.style.setProperty("--fg", d.fg);
    if (d.box) {
      const [left, top, width, height] = d.box.split(/\s+/).map((v) => `${parseFloat(v) || 0}%`);
      Object.assign(el.style, { left, top, width, height });
    }
  });
}
document.addEventListener("DOMContentLoaded", () => applyDataStyles(document));
document.addEventListener("htmx:load", (event) => applyDataStyles(event.detail.elt));
// htmx keeps a copy of the page for the Back button; without the style attributes set above, so
// that restoring it applies no inline style (htmx:load sets them again on the restored copy).
// historyElt is the live page, which htmx copies right after this event: the styles come back on
// it in a microtask, after the copy and before anything is painted.
document.addEventListener("htmx:beforeHistorySave", (event) => {
  const live = event.detail.historyElt;
  live.querySelectorAll("[data-w], [data-c], [data-fg], [data-box]").forEach((el) => {
    el.removeAttribute("style");
  });
  queueMicrotask(() => applyDataStyles(live));
});

// Polling fragments (hx-trigger="every 2s") ask only while the tab is visible. This check replaces
// htmx's "[document.visibilityState === 'visible']" filter, which htmx would eval and the policy
// refuses; htmx keeps the next poll scheduled when a request is cancelled here.
// (A poll has no triggering event; every other trigger has one.)
document.addEventListener("htmx:confirm", (event) => {
  const { elt, triggeringEvent } = event.detail;
  const polls = !triggeringEvent && /^\s*every\s/.test(elt.getAttribute("hx-trigger") || "");
  if (polls && document.visibilityState !== "visible") event.preventDefault();
});

// "Go back" links (the 403 page): the previous page when there is one, else the link's own href.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-back]");
  if (link && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});

document.addEventListener("click", (event) => {
  // Close an open dropdown when clicking elsewhere.
  document.querySelectorAll("details.dropdown[open]").forEach((el) => {
    if (!el.contains(event.target)) el.removeAttribute("open");
  });
});
document.addEventListener("submit", (event) => {
  // Ask before destructive actions marked with data-confirm.
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
// Try it out: a new confidence threshold redraws the boxes (the server draws them) and filters the
// Objects or Tags list the same way, without a page load. The list items carry the confidence the
// drawing compares (4 decimals), so the list and the boxes always agree.
document.addEventListener("input", (event) => {
  if (event.target.id !== "threshold") return;
  const t = event.target.value / 100;
  document.getElementById("threshold-value").textContent = `${event.target.value}%`;
  const image = document.getElementById("prediction-image");
  if (image) image.src = `${image.dataset.base}?t=${t.toFixed(2)}`;
  let shown = 0;
  const items = document.querySelectorAll("#predictions li[data-confidence]");
  items.forEach((li) => {
    li.hidden = parseFloat(li.dataset.confidence) < t;
    if (!li.hidden) shown += 1;
  });
  const none = document.getElementById("predictions-none");
  if (none) none.hidden = shown > 0;
  const count = document.getElementById("threshold-count");
  if (count) count.textContent = `${shown} of ${items.length} ${count.dataset.noun} at or above ${event.target.value}%`;
});

// Copy buttons: <button data-copy="#id"> puts the text of that element on the clipboard. The
// Clipboard API needs a secure origin (https or localhost); elsewhere the older execCommand path is
// used, and if both fail the text is selected for Ctrl+C.
function copyFallback(text) {
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch (error) {
    ok = false;
  }
  area.remove();
  return ok;
}
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  const text = source.textContent;
  let ok = false;
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch (error) {
      ok = false;
    }
  }
  if (!ok) ok = copyFallback(text);
  if (!ok) window.getSelection().selectAllChildren(source);
  if (!button.dataset.label) button.dataset.label = button.textContent;
  button.textContent = ok ? "Copied" : "Press Ctrl+C to copy";
  clearTimeout(button.copyTimer);
  button.copyTimer = setTimeout(() => { button.textContent = button.dataset.label; }, 2000);
});
