// Warns two minutes before the idle sign-out (DESIGN.md §6). Without JavaScript the
// footer states the limit; the server signs out either way.
(function () {
  "use strict";
  var WARN_BEFORE_MS = 2 * 60 * 1000;
  var timer = null;

  // seconds: the server's count until the sign-out (it records activity to the minute, so it may be less than
  // the full idle time), from the page or from the header of an htmx answer
  function schedule(body, warning, seconds) {
    var idleMs = Number(seconds || body.dataset.sessionIdleSeconds) * 1000;
    window.clearTimeout(timer);
    warning.hidden = true;
    timer = window.setTimeout(function () {
      warning.hidden = false;
      var button = warning.querySelector("button");
      if (button) { button.focus(); }
    }, Math.max(idleMs - WARN_BEFORE_MS, 0));
  }

  document.addEventListener("DOMContentLoaded", function () {
    var body = document.body;
    var warning = document.getElementById("session-warning");
    if (!warning || !body.dataset.sessionIdleSeconds) { return; }
    schedule(body, warning);
    // every request the user makes (not background polls) counts as activity on the server
    document.body.addEventListener("htmx:afterRequest", function (event) {
      var headers = event.detail.requestConfig && event.detail.requestConfig.headers;
      var xhr = event.detail.xhr;
      var left = xhr && xhr.getResponseHeader("X-WIR-Idle-Seconds");
      if (left && (!headers || headers["X-WIR-Background"] !== "1")) { schedule(body, warning, left); }
    });
  });
})();
