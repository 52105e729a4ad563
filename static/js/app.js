// labeler: small islands of behaviour hooked on data- attributes. No build step, no inline script (CSP).
(function () {
  "use strict";

  function toast(message, isError) {
    const box = document.getElementById("toast");
    if (!box) return;
    box.textContent = message;
    box.classList.toggle("error", Boolean(isError));
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { box.hidden = true; }, isError ? 6000 : 2500);
  }
  window.labelerToast = toast;
  // A message the server rendered into the page (after a redirect) goes away like any other.
  (function () {
    const box = document.getElementById("toast");
    if (box && !box.hidden && box.textContent.trim()) toast.timer = setTimeout(function () { box.hidden = true; }, 5000);
  })();

  // A save anywhere says what it did (the server names it in the labeler:saved event of HX-Trigger).
  document.body.addEventListener("labeler:saved", function (event) {
    const detail = event.detail || {};
    if (detail.message) toast(detail.message, false);
  });

  // Show the server's message for any failed htmx request: every action gets visible feedback. The server
  // sends it URL-quoted in X-Labeler-Message (409 answers that swap in the current state show it too).
  document.addEventListener("htmx:afterRequest", function (event) {
    const xhr = event.detail.xhr;
    if (!xhr || xhr.status < 400) return;
    const header = xhr.getResponseHeader("X-Labeler-Message");
    toast(header ? decodeURIComponent(header) : "The server answered " + xhr.status + ".", true);
  });
  // An error response is shown as a toast, not swapped, unless the server asks for the swap by sending
  // HX-Reswap (a 409 that answers with the current state of what the person tried to change).
  document.addEventListener("htmx:beforeSwap", function (event) {
    const xhr = event.detail.xhr;
    if (xhr.status >= 400 && xhr.getResponseHeader("HX-Reswap")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:sendError", function () {
    toast("The server cannot be reached. Your last change was not saved.", true);
  });

  // Column visibility: one CSS rule per hidden column, so rows loaded later are hidden too.
  const hiddenRules = {};
  let sheet = null;
  function columnSheet() {
    if (!sheet) {
      const link = document.querySelector('link[rel="stylesheet"]');
      sheet = link ? link.sheet : null;
    }
    return sheet;
  }
  function setColumnHidden(index, hidden) {
    const css = columnSheet();
    if (!css) return;
    if (hidden && !(index in hiddenRules)) {
      hiddenRules[index] = css.insertRule('table.aligned [data-col="' + index + '"] { display: none; }', css.cssRules.length);
    } else if (!hidden && index in hiddenRules) {
      const text = 'table.aligned [data-col="' + index + '"]';
      for (let i = css.cssRules.length - 1; i >= 0; i--) {
        if (css.cssRules[i].selectorText === text) css.deleteRule(i);
      }
      delete hiddenRules[index];
    }
  }
  function initColumnToggles() {
    document.querySelectorAll("[data-toggle-column]").forEach(function (box) {
      const key = "labeler:hidden:" + box.dataset.columnKey;
      if (localStorage.getItem(key) === "1") {
        box.checked = false;
        setColumnHidden(box.dataset.toggleColumn, true);
      }
      box.addEventListener("change", function () {
        setColumnHidden(box.dataset.toggleColumn, !box.checked);
        if (box.checked) localStorage.removeItem(key); else localStorage.setItem(key, "1");
      });
    });
  }

  // Hovering a paragraph outlines its whole row across the columns.
  function initRowHover() {
    document.addEventListener("mouseover", function (event) {
      const row = event.target.closest && event.target.closest("tr.arow");
      document.querySelectorAll("tr.arow.row-hover").forEach(function (other) {
        if (other !== row) other.classList.remove("row-hover");
      });
      if (row) row.classList.add("row-hover");
    });
  }

  // The current row and paragraph: J / K walk the rows, a click or focus picks a paragraph.
  const current = { row: null, segment: null, index: -1 };
  // Looked up by id, not by class: a swap may have just replaced the elements that carried the class.
  function currentSegment() {
    return current.segment ? document.querySelector('.seg[data-segment="' + current.segment + '"]') : null;
  }
  function currentRow() {
    const segment = currentSegment();
    if (segment) return segment.closest("tr.arow");
    return (current.row && document.getElementById(current.row)) || visibleRows()[current.index] || null;
  }
  function setCurrent(row, segment) {
    document.querySelectorAll("tr.arow.current, .seg.current").forEach(function (el) { el.classList.remove("current"); });
    if (!row) return;
    row.classList.add("current");
    segment = segment || Array.from(row.querySelectorAll(".seg")).find(function (seg) { return seg.offsetParent !== null; });
    if (segment) segment.classList.add("current");
    current.row = row.id;
    current.segment = segment ? segment.dataset.segment : null;
    current.index = visibleRows().indexOf(row);
    row.scrollIntoView({ block: "nearest" });
  }
  function visibleRows() { return Array.from(document.querySelectorAll("tr.arow")); }
  function stepRow(delta, onlyUnconfirmed) {
    const rows = visibleRows();
    let index = rows.indexOf(currentRow());
    for (let i = index + delta; i >= 0 && i < rows.length; i += delta) {
      if (!onlyUnconfirmed || !rows[i].classList.contains("status-confirmed")) { setCurrent(rows[i]); return true; }
    }
    toast(onlyUnconfirmed ? "No unconfirmed row below (scroll to load more)." : "No more rows loaded.", false);
    return false;
  }
  // Send a tool button's request directly: a key may come before htmx has processed a just-swapped button.
  function clickTool(container, selector) {
    const button = container && container.querySelector(selector);
    if (!button) return false;
    htmx.ajax("POST", button.getAttribute("hx-post"), {
      source: button, target: button.getAttribute("hx-target"), swap: button.getAttribute("hx-swap"),
    });
    return true;
  }
  function initRowFocus() {
    document.addEventListener("click", function (event) {
      const seg = event.target.closest && event.target.closest(".seg");
      if (seg) setCurrent(seg.closest("tr.arow"), seg);
    });
    // A row swapped in by an alignment action flashes; the current row and paragraph survive the swap.
    document.addEventListener("htmx:load", function (event) {
      const elt = event.detail.elt;
      if (!elt.matches || !elt.matches("tr.arow")) return;
      elt.classList.add("changed");
      const segment = current.segment && document.querySelector('.seg[data-segment="' + current.segment + '"]');
      if (segment) setCurrent(segment.closest("tr.arow"), segment);
      else if (!document.getElementById(current.row)) setCurrent(visibleRows()[Math.max(current.index, 0)]);
    });
  }

  // Keys on the group page (UI.md): N / P groups, J / K rows, Shift+J next unconfirmed row, A confirm,
  // M merge with the row below, Alt+↑ / Alt+↓ move the current paragraph, S split before it, D detach it.
  // Typing into a field: keys are text, not commands (a focused checkbox or radio button is not typing).
  function isTyping(event) {
    const target = event.target;
    if (!target) return false;
    if (target.tagName === "INPUT") return !/^(radio|checkbox|button|submit|reset)$/.test(target.type);
    return target.isContentEditable || /^(TEXTAREA|SELECT)$/.test(target.tagName);
  }
  window.labelerIsTyping = isTyping;
  function initKeys() {
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || isTyping(event) || event.defaultPrevented) return;
      if (event.altKey) {
        const move = { ArrowUp: '[data-para-action="up"]', ArrowDown: '[data-para-action="down"]' }[event.key];
        if (move && clickTool(currentSegment(), move)) event.preventDefault();
        return;
      }
      const key = event.key;
      let handled = true;
      if (key.toLowerCase() === "n") handled = clickLink("next-group");
      else if (key.toLowerCase() === "p") handled = clickLink("prev-group");
      else if (key === "j") stepRow(1, false);
      else if (key === "J") stepRow(1, true);
      else if (key === "k" || key === "K") stepRow(-1, false);
      else if (key === "a" || key === "A") handled = clickTool(currentRow(), '[data-row-action="confirm"]');
      else if (key === "m" || key === "M") handled = clickTool(currentRow(), '[data-row-action="merge"]');
      else if (key === "s" || key === "S") handled = clickTool(currentSegment(), '[data-para-action="split"]');
      else if (key === "d" || key === "D") handled = clickTool(currentSegment(), '[data-para-action="detach"]');
      else handled = false;
      if (handled) event.preventDefault();
    });
  }
  function clickLink(id) {
    const link = document.getElementById(id);
    if (link) { link.click(); return true; }
    return false;
  }

  document.addEventListener("DOMContentLoaded", function () {
    initColumnToggles();
    initRowHover();
    initRowFocus();
    initKeys();
  });
})();
