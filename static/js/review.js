// labeler: the review page. J/K move between undecided places, a click on a label opens its place;
// 1-9 accept that annotator's version, X rejects the place, E edits it into gold (another label), and text
// selected in a Gold column opens the same form with those offsets. Esc closes the form.
(function () {
  "use strict";
  const bar = document.querySelector("[data-review]");
  if (!bar) return;
  const urls = bar.dataset;
  let current = null;  // the key of the place in the panel
  const toast = function (message, isError) { if (window.labelerToast) window.labelerToast(message, isError); };

  function panel() { return document.getElementById("review-panel"); }
  function shown(element) { return element.offsetParent !== null; }
  function elementsOf(key) { return document.querySelectorAll('[data-place="' + CSS.escape(key) + '"]'); }
  function mark() {
    document.querySelectorAll("[data-place].current").forEach(function (el) { el.classList.remove("current"); });
    if (current) elementsOf(current).forEach(function (el) { el.classList.add("current"); });
  }
  function open(key) {
    current = key;
    mark();
    const first = Array.from(elementsOf(key)).find(shown);
    if (first) first.scrollIntoView({ block: "nearest", inline: "nearest" });
    htmx.ajax("GET", urls.placeUrl.replace("PLACE", encodeURIComponent(key)), { target: "#review-panel", swap: "outerHTML" });
  }
  // Places in reading order (row by row, column by column), each once; hidden columns are skipped.
  function places(onlyUndecided) {
    const seen = new Set();
    const keys = [];
    document.querySelectorAll("[data-place]").forEach(function (el) {
      const key = el.dataset.place;
      if (seen.has(key) || !shown(el)) return;
      if (onlyUndecided && !el.matches(".pl-split, .pl-partial")) return;
      seen.add(key);
      keys.push(key);
    });
    return keys;
  }
  function step(delta) {
    const keys = places(true);
    if (!keys.length) { toast("Every place is decided.", false); return; }
    const all = places(false);
    const here = current ? all.indexOf(current) : -1;
    // The next undecided place after (or before) the current one in reading order, wrapping around.
    const ordered = all.filter(function (key) { return keys.includes(key); });
    let next = delta > 0 ? ordered.find(function (key) { return all.indexOf(key) > here; })
                         : ordered.slice().reverse().find(function (key) { return all.indexOf(key) < here; });
    if (next === undefined) next = delta > 0 ? ordered[0] : ordered[ordered.length - 1];
    open(next);
  }
  // Send a panel button's request directly: a key may come before htmx has wired a just-swapped button.
  function press(selector) {
    const button = panel() && panel().querySelector(selector);
    if (!button) return false;
    const verb = button.hasAttribute("hx-post") ? "POST" : "GET";
    htmx.ajax(verb, button.getAttribute("hx-" + verb.toLowerCase()), { source: button, target: "#review-panel", swap: "outerHTML" });
    return true;
  }
  function pickLabel(form, button) {
    htmx.ajax("POST", form.getAttribute("hx-post"), {
      source: form, values: { label: button.value }, target: "#review-panel", swap: "outerHTML",
    });
  }

  document.addEventListener("click", function (event) {
    const run = event.target.closest && event.target.closest("[data-place]");
    if (run && !window.getSelection().toString()) open(run.dataset.place);
  });
  document.addEventListener("mouseup", function (event) {
    const para = event.target.closest && event.target.closest('.para[data-who="gold"]');
    if (!para) return;
    const chosen = window.labelerSelection.read(event, function (message) { toast(message, true); });
    if (!chosen) return;
    const form = panel() && panel().querySelector(".gold-form");
    const layer = form ? form.querySelector('[name="layer"]').value : (current ? current.split("-")[1] : "entity");
    const place = current && current.split("-")[0] === chosen.documentId ? current : "";
    const query = new URLSearchParams({ document_id: chosen.documentId, char_start: chosen.start, char_end: chosen.end,
                                        layer: layer, place: place });
    htmx.ajax("GET", urls.goldUrl + "?" + query.toString(), { target: "#review-panel", swap: "outerHTML" });
  });
  document.addEventListener("keydown", function (event) {
    if (window.labelerIsTyping && window.labelerIsTyping(event)) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key.toLowerCase();
    const form = panel() && panel().querySelector(".gold-form");
    let handled = false;
    if (form) {
      if (event.key === "Escape") {
        if (!press("[data-cancel][hx-get]")) htmx.ajax("GET", urls.placeUrl.replace("PLACE", "none"), { target: "#review-panel", swap: "outerHTML" });
        handled = true;
      } else {
        const pick = form.querySelector('button[data-key="' + CSS.escape(key) + '"]');
        if (pick) { pickLabel(form, pick); handled = true; }
      }
    }
    if (!handled) {
      if (key === "j" || key === "k") { step(key === "j" ? 1 : -1); handled = true; }
      else if (/^[1-9]$/.test(key)) handled = press('[data-vote="' + key + '"]');
      else if (key === "x") handled = press("[data-reject]");
      else if (key === "e") handled = press("[data-edit]");
    }
    if (handled) event.preventDefault();
  });
  // A decision swaps the panel and, out of band, the rows it changed: keep the current place marked.
  document.body.addEventListener("htmx:afterSettle", function () {
    const shownPanel = panel();
    if (shownPanel && shownPanel.dataset.current) current = shownPanel.dataset.current;
    mark();
  });
})();
