// labeler: labelling on the group page. Select text → picker → key; click a span → editor; Ctrl+Z / Ctrl+Shift+Z.
// Offsets: the DOM counts UTF-16 units, the server code points; converted here before anything is posted.
(function () {
  "use strict";

  const bar = document.querySelector("[data-annotate]");
  if (!bar) return;
  const urls = bar.dataset;
  const state = { layer: "entity", pending: null, pick: null };
  const toast = function (message, isError) { if (window.labelerToast) window.labelerToast(message, isError); };

  const isTyping = function (event) { return window.labelerIsTyping(event); };
  function visible(id) { const el = document.getElementById(id); return el && !el.hidden ? el : null; }

  // --- Layers -------------------------------------------------------------------------------------------
  function setLayer(layer) {
    state.layer = layer;
    document.querySelectorAll(".layer-button").forEach(function (button) {
      const on = button.dataset.layer === layer;
      button.classList.toggle("active", on);
      button.setAttribute("aria-checked", on ? "true" : "false");
    });
    if (visible("picker") && state.pending) openPicker();
  }
  document.querySelectorAll(".layer-button").forEach(function (button) {
    button.addEventListener("click", function () { setLayer(button.dataset.layer); });
  });

  // --- Selection → span ---------------------------------------------------------------------------------
  function readSelection(event) {
    return window.labelerSelection.read(event, function (message) { toast(message, true); });
  }
  // Pressing the mouse anywhere outside the picker abandons the selection it was for.
  document.addEventListener("mousedown", function (event) {
    if (state.pending && !(event.target.closest && event.target.closest("#picker"))) closePicker();
  });
  document.addEventListener("mouseup", function (event) {
    if (event.target.closest(".popover, .toolbar, .para-tools, .row-tools")) return;
    if (state.pick) return;
    const chosen = readSelection(event);
    if (!chosen) return;
    state.pending = chosen;
    openPicker();
  });

  // --- Picker ---------------------------------------------------------------------------------------------
  function place(element, rect) {
    element.hidden = false;
    const width = element.offsetWidth, height = element.offsetHeight;
    let left = Math.min(rect.left + window.scrollX, window.scrollX + window.innerWidth - width - 12);
    let top = rect.bottom + window.scrollY + 6;
    if (rect.bottom + height + 12 > window.innerHeight) top = Math.max(window.scrollY + 8, rect.top + window.scrollY - height - 6);
    element.style.left = Math.max(8, left) + "px";
    element.style.top = top + "px";
  }
  function openPicker() {
    htmx.ajax("GET", urls.pickerUrl + "?layer=" + encodeURIComponent(state.layer), {
      source: bar, target: "#picker", swap: "outerHTML",
    });
  }
  // A popover arrives with data-fresh (invisible): it is placed and shown once htmx has wired its own controls,
  // which is when htmx fires htmx:load on it. Not on htmx:afterSettle of any swap: another response settling in
  // between would show a popover whose buttons do nothing yet (a key pressed then was lost).
  document.addEventListener("htmx:load", function (event) {
    const popover = event.target;
    if (!popover.hasAttribute || !popover.hasAttribute("data-fresh") || popover.hidden) return;
    if (popover.id === "picker") {
      if (state.pending) place(popover, state.pending.rect);
      popover.removeAttribute("data-fresh");
      const early = state.earlyKey;
      state.earlyKey = null;
      if (early && state.pending) {
        const button = popover.querySelector('button.pick[data-key="' + early + '"]');
        if (button) pick(button.dataset.label);
      }
    } else if (popover.id === "editor") {
      if (state.editorRect) place(popover, state.editorRect);
      popover.removeAttribute("data-fresh");
      if (state.focusEditor) {
        state.focusEditor = false;
        const first = popover.querySelector("select, input, button:not(.close)");
        if (first) first.focus();
      }
    }
  });
  function closePicker() {
    const picker = document.getElementById("picker");
    if (picker) picker.hidden = true;
    state.pending = null;
  }
  // Picker controls, by delegation: they work from the moment the picker is in the page.
  document.addEventListener("click", function (event) {
    const picker = event.target.closest && event.target.closest("#picker");
    if (!picker) return;
    const button = event.target.closest("button.pick");
    if (button) pick(button.dataset.label);
    const tab = event.target.closest("[data-picker-layer]");
    if (tab) setLayer(tab.dataset.pickerLayer);
  });
  function filterPicker(filter) {
    const needle = filter.value.trim().toLowerCase();
    document.querySelectorAll("#picker button.pick").forEach(function (button) {
      button.parentElement.hidden = Boolean(needle) && button.dataset.label.toLowerCase().indexOf(needle) < 0;
    });
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("#picker .picker-filter")) filterPicker(event.target);
  });
  document.addEventListener("keydown", function (event) {
    const filter = event.target;
    if (!(filter.matches && filter.matches("#picker .picker-filter"))) return;
    if (event.key === "Enter") {
      filterPicker(filter);
      const first = document.querySelector("#picker li:not([hidden]) button.pick");
      if (first) pick(first.dataset.label);
      event.preventDefault();
    } else if (event.key === "Escape") {
      closePicker();
    }
  });
  function pick(label) {
    const chosen = state.pending;
    if (!chosen) return;
    const values = {
      document_id: chosen.documentId, char_start: chosen.start, char_end: chosen.end,
      surface: chosen.surface, layer: state.layer, label: label,
    };
    const severity = document.querySelector('#picker input[name="picker-severity"]:checked');
    if (state.layer === "error" && severity) values.severity = severity.value;
    closePicker();
    window.getSelection().removeAllRanges();
    htmx.ajax("POST", urls.createUrl, { source: bar, values: values, swap: "none" });
  }

  // --- Feedback after every write -------------------------------------------------------------------------
  document.body.addEventListener("labeler:saved", function (event) {
    const detail = event.detail || {};  // app.js shows its message
    if (detail.span) {
      document.querySelectorAll('.run[data-spans~="' + detail.span + '"]').forEach(function (run) {
        run.classList.remove("flash");
        void run.offsetWidth;  // restart the animation
        run.classList.add("flash");
      });
    }
    const panel = document.getElementById("concept-panel");
    if (panel && !panel.hidden) loadPanel();
  });

  // --- Editor, counterpart picking, concept hover ---------------------------------------------------------
  document.addEventListener("click", function (event) {
    const run = event.target.closest && event.target.closest(".para .run");
    if (state.pick && run) {
      const target = run.dataset.spans.split(" ")[0];
      const chosen = state.pick;
      state.pick = null;
      document.body.classList.remove("picking");
      htmx.ajax("POST", chosen.url, { source: bar, values: { counterpart_id: target, version: chosen.version, editor: chosen.id }, swap: "none" });
      event.preventDefault();
      return;
    }
    const pickButton = event.target.closest && event.target.closest("[data-pick-counterpart]");
    if (pickButton) {
      state.pick = { id: pickButton.dataset.pickCounterpart, version: pickButton.dataset.version, url: pickButton.dataset.url };
      document.body.classList.add("picking");
      toast("Click the counterpart span in another column (Esc cancels).", false);
      return;
    }
    if (event.target.closest && event.target.closest("[data-close-editor]")) { closeEditor(); return; }
    if (run && window.getSelection().isCollapsed) {
      state.editorRect = run.getBoundingClientRect();
      state.focusEditor = true;
      htmx.ajax("GET", urls.spansUrl + "?ids=" + encodeURIComponent(run.dataset.spans), {
        source: bar, target: "#editor", swap: "outerHTML",
      });
    }
  });
  function closeEditor() { const editor = document.getElementById("editor"); if (editor) editor.hidden = true; }

  // ] and [ open the next and previous suggestion of the page in the editor: Enter or Backspace answer it.
  function openSuggestion(step) {
    const all = Array.from(document.querySelectorAll(".para .run.suggested"));
    if (!all.length) { toast("No suggestion on this page.", false); return; }
    const current = all.indexOf(state.suggestion);
    const next = all[current < 0 ? (step > 0 ? 0 : all.length - 1) : (current + step + all.length) % all.length];
    state.suggestion = next;
    next.scrollIntoView({ block: "center" });
    next.click();
  }

  // Hovering a span (or a concept in the side panel) lights up every mention of its concepts in every column.
  document.addEventListener("mouseover", function (event) {
    const run = event.target.closest && event.target.closest(".run[data-concepts], .concept-row[data-concept]");
    document.querySelectorAll(".concept-hover").forEach(function (other) { other.classList.remove("concept-hover"); });
    if (!run) return;
    (run.dataset.concepts || run.dataset.concept).split(" ").forEach(function (concept) {
      document.querySelectorAll('.run[data-concepts~="' + concept + '"], .concept-row[data-concept="' + concept + '"]')
        .forEach(function (other) { other.classList.add("concept-hover"); });
    });
  });

  // --- Paragraph tools: one toolbar for the page, not four buttons in every paragraph (issue 8) ------------
  // Two copies of the page's <template id="para-tools">: one lives in the current paragraph (app.js's keys
  // S, D and Alt+↑/↓ press its buttons there, as before), the other in the paragraph pointed at or focused.
  // Wherever a copy goes, its buttons get that paragraph's URLs and its row as target, then htmx wires them.
  const toolsTemplate = document.getElementById("para-tools");
  const tools = { current: null, pointer: null, currentId: null };
  function makeTools() { return toolsTemplate.content.firstElementChild.cloneNode(true); }
  function segmentById(id) { return id ? document.querySelector('.seg[data-segment="' + id + '"]') : null; }
  function home(bar, seg) {
    const row = seg.closest("tr.arow");
    if (!row) return;
    bar.querySelectorAll("[data-para-action]").forEach(function (button) {
      button.setAttribute("hx-post", button.dataset.url.replace("{id}", seg.dataset.segment));
      button.setAttribute("hx-target", "#" + row.id);
    });
    bar.dataset.segment = seg.dataset.segment;
    if (bar.parentElement !== seg) seg.appendChild(bar);
    htmx.process(bar);
  }
  function holdsFocus(bar) { return bar.contains(document.activeElement); }
  // Above its paragraph, unless the sticky column headers would cover it there: then below.
  const header = document.querySelector("table.aligned thead");
  // The class changes only when it must: the current paragraph's observer below watches class changes.
  function clearOfHeader(bar) {
    if (!header || !bar.isConnected || getComputedStyle(bar).display === "none") return;
    const above = bar.parentElement.getBoundingClientRect().top - bar.offsetHeight;
    const below = above < header.getBoundingClientRect().bottom;
    if (below !== bar.classList.contains("below")) bar.classList.toggle("below", below);
  }
  // The current paragraph (app.js marks it) carries the current copy; the pointer copy never doubles it. Keyboard
  // focus on a paragraph follows the current one (J / K), so that one paragraph at a time looks chosen.
  function followCurrent() {
    const marked = document.querySelector(".seg.current");
    if (!marked) return;
    const seg = segmentById(marked.dataset.segment);  // where app.js's keys look for the tools: by id, like here
    if (tools.pointer.parentElement === seg) {
      const previous = tools.current;
      tools.current = tools.pointer;
      tools.pointer = previous;
      if (!holdsFocus(previous)) previous.remove();
    }
    if (tools.current.parentElement !== seg) home(tools.current, seg);
    clearOfHeader(tools.current);
    if (seg.dataset.segment === tools.currentId) return;  // the same paragraph (perhaps re-rendered by a swap)
    tools.currentId = seg.dataset.segment;
    const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest(".seg");
    if (focused && focused !== seg) seg.focus({ preventScroll: true });
    const hovered = document.querySelectorAll(".seg:hover");
    point(hovered.length ? hovered[hovered.length - 1] : null);
  }
  function point(seg) {
    if (!seg || seg === tools.current.parentElement || holdsFocus(tools.pointer)) return;
    if (tools.pointer.parentElement !== seg) home(tools.pointer, seg);
    clearOfHeader(tools.pointer);
  }
  if (toolsTemplate) {
    tools.current = makeTools();
    tools.pointer = makeTools();
    document.addEventListener("mouseover", function (event) {
      point(event.target.closest && event.target.closest(".seg"));
    });
    document.addEventListener("focusin", function (event) {
      point(event.target.closest && event.target.closest(".seg"));
    });
    new MutationObserver(followCurrent).observe(document.getElementById("main"), {
      subtree: true, attributes: true, attributeFilter: ["class"],
    });
    // A swap replaces the row around a copy: put it back into the same paragraph (by id) at once, so that a key
    // pressed before htmx settles the new row still finds the tools (app.js looks the paragraph up by id too).
    const rehome = function () {
      [tools.current, tools.pointer].forEach(function (bar) {
        if (bar.isConnected) return;
        const seg = segmentById(bar.dataset.segment);
        if (seg && !seg.querySelector(".para-tools")) home(bar, seg);
      });
    };
    const grid = document.querySelector(".grid-scroll");
    if (grid) {
      grid.addEventListener("scroll", function () { clearOfHeader(tools.current); clearOfHeader(tools.pointer); },
                            { passive: true });
    }
    document.addEventListener("htmx:afterSwap", rehome);
    document.addEventListener("htmx:oobAfterSwap", rehome);
  }

  // --- Concept panel --------------------------------------------------------------------------------------
  const panelButton = document.querySelector("[data-panel-url]");
  function loadPanel() {
    return htmx.ajax("GET", panelButton.dataset.panelUrl, { source: bar, target: "#concept-panel", swap: "outerHTML" });
  }
  if (panelButton) {
    panelButton.addEventListener("click", function () {
      const panel = document.getElementById("concept-panel");
      const open = panel && !panel.hidden;
      if (open) {
        panel.hidden = true;
        panelButton.setAttribute("aria-expanded", "false");
      } else {
        loadPanel().then(function () { panelButton.setAttribute("aria-expanded", "true"); });
      }
    });
  }

  // --- Keys (capture phase: while the picker is open, its keys win over the row keys) ----------------------
  window.addEventListener("keydown", function (event) {
    const picker = visible("picker");
    // A suggestion open in the editor: Enter accepts it, Backspace rejects it.
    const offered = !picker && !isTyping(event) && !event.ctrlKey && !event.metaKey && !event.altKey &&
      document.querySelector("#editor:not([hidden]) [data-suggestion]");
    if (offered && (event.key === "Enter" || event.key === "Backspace")) {
      offered.querySelector(event.key === "Enter" ? "[data-accept]" : "[data-reject]").click();
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    if (event.key === "Escape") {
      if (state.pick) { state.pick = null; document.body.classList.remove("picking"); toast("Picking cancelled.", false); }
      closePicker(); closeEditor();
      const help = document.getElementById("keys-help"); if (help) help.hidden = true;
      return;
    }
    if (!picker && state.pending && !isTyping(event) && /^[0-9a-z]$/i.test(event.key) &&
        !event.ctrlKey && !event.metaKey && !event.altKey && !event.shiftKey) {
      state.earlyKey = event.key.toLowerCase();  // typed before the picker arrived: applied when it does
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    if (picker && !isTyping(event)) {
      if (event.key === "/") { picker.querySelector(".picker-filter").focus(); event.preventDefault(); }
      else if (event.shiftKey && /^[ECT]$/.test(event.key)) { setLayer({ E: "entity", C: "claim", T: "error" }[event.key]); }
      else {
        const button = picker.querySelector('button.pick[data-key="' + event.key.toLowerCase() + '"]');
        if (button && !event.ctrlKey && !event.metaKey && !event.altKey) pick(button.dataset.label);
      }
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    if (isTyping(event)) return;
    if ((event.ctrlKey || event.metaKey) && (event.key === "z" || event.key === "Z" || event.key === "y")) {
      const redo = event.key === "y" || event.shiftKey;
      htmx.ajax("POST", redo ? urls.redoUrl : urls.undoUrl, { source: bar, swap: "none" });
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const layers = { e: "entity", c: "claim", t: "error" };
    if (layers[event.key.toLowerCase()]) {
      setLayer(layers[event.key.toLowerCase()]);
      toast("Layer: " + { entity: "entities", claim: "claims", error: "translation errors" }[state.layer], false);
      event.preventDefault();
      event.stopImmediatePropagation();
    } else if (event.key === "]" || event.key === "[") {
      openSuggestion(event.key === "]" ? 1 : -1);
      event.preventDefault();
    } else if (event.key === "?") {
      const help = document.getElementById("keys-help");
      help.hidden = !help.hidden;
      if (!help.hidden) place(help, { left: window.innerWidth / 2 - 200, bottom: 120, top: 120 });
      event.preventDefault();
    }
  }, true);
})();
