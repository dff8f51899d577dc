/* A staff ticket page: says when another engineer has the same ticket open, or is typing on it. */
(function () {
  "use strict";

  var TYPING_REPEAT_MS = 3000; // while keys are pressed, "typing" is said again this often
  var IDLE_AFTER_MS = 4000; // no key for this long: "idle"
  var PING_MS = 20000;

  function names(people) {
    var list = people.map(function (person) { return person.name; });
    if (list.length < 2) return list.join("");
    return list.slice(0, -1).join(", ") + " and " + list[list.length - 1];
  }

  function describe(others) {
    if (!others.length) return "";
    var typing = others.filter(function (person) { return person.typing; });
    var viewing = others.filter(function (person) { return !person.typing; });
    var parts = [];
    if (typing.length) parts.push(names(typing) + (typing.length > 1 ? " are" : " is") + " typing on this ticket.");
    if (viewing.length) parts.push(names(viewing) + (viewing.length > 1 ? " are" : " is") + " also viewing this ticket.");
    return parts.join(" ");
  }

  function start(notice) {
    var path = notice.dataset.presenceUrl;
    var scheme = location.protocol === "https:" ? "wss:" : "ws:";
    var ws = null;
    var retry = 1000;
    var typingSentAt = 0;
    var idleTimer = null;
    var pinger = null;

    function send(payload) {
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(payload));
    }

    function show(others) {
      var text = describe(others);
      notice.querySelector("[data-presence-text]").textContent = text;
      notice.hidden = !text;
      notice.classList.toggle("presence--typing", others.some(function (person) { return person.typing; }));
    }

    function connect() {
      ws = new WebSocket(scheme + "//" + location.host + path);
      ws.addEventListener("open", function () {
        retry = 1000;
        pinger = window.setInterval(function () { send({ type: "ping" }); }, PING_MS);
      });
      ws.addEventListener("message", function (event) {
        var frame;
        try { frame = JSON.parse(event.data); } catch (error) { return; }
        if (frame.type === "presence") show(frame.others || []);
      });
      ws.addEventListener("close", function (event) {
        window.clearInterval(pinger);
        show([]);
        if (event.code >= 4400 && event.code < 4500) return; // refused: trying again will not help
        window.setTimeout(connect, retry);
        retry = Math.min(retry * 2, 30000);
      });
    }

    function typed() {
      var now = Date.now();
      if (now - typingSentAt > TYPING_REPEAT_MS) {
        typingSentAt = now;
        send({ type: "typing" });
      }
      window.clearTimeout(idleTimer);
      idleTimer = window.setTimeout(function () {
        typingSentAt = 0;
        send({ type: "idle" });
      }, IDLE_AFTER_MS);
    }

    document.querySelectorAll("[data-reply-form] textarea").forEach(function (box) {
      box.addEventListener("input", typed);
    });
    connect();
  }

  function init() {
    var notice = document.querySelector("[data-presence-url]");
    if (notice && window.WebSocket) start(notice);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
