// labeler: the review page. J/K move between undecided places, 1-9 accept an annotator's label, X rejects.
(function () {
  "use strict";
  let current = null;
  function focus(row) {
    if (!row) return;
    document.querySelectorAll("tr.place.current").forEach(function (r) { r.classList.remove("current"); });
    current = row;
    row.classList.add("current");
    row.focus();
    row.scrollIntoView({ block: "center" });
  }
  function step(delta) {
    const rows = Array.from(document.querySelectorAll("tr.place"));
    if (!rows.length) return;
    const start = current ? rows.findIndex(function (r) { return r.id === current.id; }) : -1;
    for (let i = 1; i <= rows.length; i++) {
      const row = rows[(start + delta * i + rows.length * 2) % rows.length];
      if (row.classList.contains("undecided")) { focus(row); return; }
    }
    if (window.labelerToast) window.labelerToast("Every place is decided.", false);
  }
  document.addEventListener("keydown", function (event) {
    if (window.labelerIsTyping && window.labelerIsTyping(event)) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key.toLowerCase();
    if (key === "j" || key === "k") { step(key === "j" ? 1 : -1); event.preventDefault(); return; }
    if (!current) return;
    const row = document.getElementById(current.id);  // the row may have been swapped
    if (!row) return;
    const button = key === "x" ? row.querySelector("[data-reject]") : row.querySelector('[data-vote="' + key + '"]');
    if (button) { button.click(); event.preventDefault(); }
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (current && event.target && event.target.id === current.id) {
      current = document.getElementById(current.id);
      if (current) current.classList.add("current");
    }
  });
})();
