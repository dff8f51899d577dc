/* Pledge's one way of writing a duration, shared by every page's scripts and by the server
   (helpdesk/kit/pages.py, duration_text): 2d 3h, 5h 59m, 29m 12s, 42s. Loaded before pledge.js
   and chat.js; tests/test_duration_text.py holds the two to the same answers. */
(function (root) {
  "use strict";

  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var days = Math.floor(seconds / 86400);
    var hours = Math.floor((seconds % 86400) / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var secs = seconds % 60;
    if (days) return hours ? days + "d " + hours + "h" : days + "d";
    if (hours) return minutes ? hours + "h " + minutes + "m" : hours + "h";
    if (minutes) return minutes + "m " + secs + "s";
    return secs + "s";
  }

  root.Pledge = root.Pledge || {};
  root.Pledge.duration = duration;
  if (typeof module !== "undefined" && module.exports) module.exports = { duration: duration };
})(typeof window !== "undefined" ? window : globalThis);
