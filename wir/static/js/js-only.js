// Shows what is true only while JavaScript and htmx run, such as "Der Status aktualisiert sich von
// selbst" beside the htmx status poll. Such elements carry data-js-only and the hidden attribute, so a
// page without JavaScript (or whose htmx did not load) never says it. htmx fires htmx:load for the
// page once it has started and for every piece of content it swaps in.
(function () {
  "use strict";
  document.addEventListener("htmx:load", function (event) {
    var root = event.detail.elt;
    var found = root.querySelectorAll ? Array.prototype.slice.call(root.querySelectorAll("[data-js-only]")) : [];
    if (root.matches && root.matches("[data-js-only]")) { found.push(root); }
    found.forEach(function (element) { element.hidden = false; });
  });
})();
