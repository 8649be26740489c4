// The portal's small script: what htmx content needs beyond htmx itself. Every page works without it.
//
// 1. data-js-only / data-no-js: what is true only while JavaScript and htmx run (such as "Der Status
//    aktualisiert sich von selbst" beside the status poll) carries data-js-only and the hidden attribute, so a
//    page without JavaScript (or whose htmx did not load) never says it; what is needed only without them
//    (the Kontakt form's „Auswahl übernehmen“) carries data-no-js and is hidden here. htmx fires htmx:load
//    for the page once it has started and for every piece of content it swaps in.
//
// 2. The one focus rule after a swap (WCAG 2.4.3, 3.3.1): the swapped content marks where focus goes, the same
//    way the whole page does for the plain form path, where the browser honours `autofocus` on load:
//      - errors: the error summary (_forms.html error_summary: data-error-summary, tabindex=-1, autofocus);
//      - a success: the confirmation message (tabindex=-1, autofocus), usually filled into a live region
//        outside the swapped element by hx-swap-oob;
//      - a choice that rebuilds a form: the next field (autofocus, set by the view).
//    The summary wins over anything else marked. Background requests (polls, X-WIR-Background) never move focus.
(function () {
  "use strict";
  var FOCUS_MARKS = "[data-error-summary], [autofocus]";
  var marked = [];

  function within(root, selector) {
    var found = root.querySelectorAll ? Array.prototype.slice.call(root.querySelectorAll(selector)) : [];
    if (root.matches && root.matches(selector)) { found.unshift(root); }
    return found;
  }

  function isBackground(detail) {
    var config = detail && (detail.requestConfig || (detail.eventInfo && detail.eventInfo.requestConfig));
    return Boolean(config && config.headers && config.headers["X-WIR-Background"] === "1");
  }

  document.addEventListener("htmx:load", function (event) {
    var root = event.detail.elt;
    within(root, "[data-js-only]").forEach(function (element) { element.hidden = false; });
    within(root, "[data-no-js]").forEach(function (element) { element.hidden = true; });
    if (root !== document.body) { marked = marked.concat(within(root, FOCUS_MARKS)); }
  });

  document.addEventListener("htmx:beforeSwap", function () { marked = []; });

  document.addEventListener("htmx:afterSettle", function (event) {
    var candidates = marked.filter(function (element) { return element.isConnected; });
    marked = [];
    if (!candidates.length || isBackground(event.detail)) { return; }
    var summary = candidates.filter(function (element) { return element.matches("[data-error-summary]"); })[0];
    var target = summary || candidates[0];
    if (document.activeElement !== target) { target.focus(); }
  });
})();
