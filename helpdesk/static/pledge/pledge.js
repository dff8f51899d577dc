/* Pledge: live countdowns, dialogs and small form helpers. Everything works without it,
   except opening dialogs. */
(function () {
  "use strict";

  var SLA_LABELS = { running: "Running", at_risk: "At risk", missed: "Missed", met: "Met" };
  var SLA_STATES = ["running", "at_risk", "missed", "met"];

  var duration = window.Pledge.duration; /* duration.js: the one format, shared with the server */

  function countdownText(deadline, now) {
    var remaining = (deadline - now) / 1000;
    if (remaining >= 0) return "in " + duration(remaining);
    var overdue = -remaining;
    if (overdue >= 60) overdue -= overdue % 60;
    return "overdue by " + duration(overdue).replace(/ 0s$/, "");
  }

  /* A clock on a business calendar: only time inside its working windows counts. */
  function workingCountdownText(windows, now) {
    var remaining = 0;
    var open = false;
    windows.forEach(function (w) {
      if (w[1] > now) remaining += w[1] - Math.max(w[0], now);
      if (w[0] <= now && now < w[1]) open = true;
    });
    return "in " + duration(remaining / 1000) + " of working time" + (open ? "" : " (paused)");
  }

  function parseWindows(text) {
    if (!text) return null;
    return text.split(",").map(function (pair) {
      return pair.split("-").map(Number);
    });
  }

  function stateAt(countdown, now) {
    if (now > countdown.deadline) return "missed";
    if (now >= countdown.atRisk) return "at_risk";
    return "running";
  }

  function setState(countdown, state) {
    if (countdown.state === state) return;
    countdown.state = state;
    countdown.el.setAttribute("data-state", state);
    /* A progress update's countdown has its own state: it never recolours the Work Started badge. */
    if (countdown.el.hasAttribute("data-update-due")) return;
    var scope = countdown.el.closest("[data-sla-scope]");
    if (!scope) return;
    SLA_STATES.forEach(function (name) {
      scope.classList.remove("row--" + name, "sla-card--" + name);
    });
    scope.classList.add(scope.tagName === "TR" ? "row--" + state : "sla-card--" + state);
    var badge = scope.querySelector("[data-sla-badge]");
    if (badge) {
      SLA_STATES.forEach(function (name) { badge.classList.remove("sla--" + name); });
      badge.classList.add("sla--" + state);
      badge.textContent = SLA_LABELS[state];
    }
  }

  function startCountdowns() {
    var countdowns = Array.prototype.map.call(
      document.querySelectorAll("[data-countdown]"),
      function (el) {
        return {
          el: el,
          deadline: Date.parse(el.getAttribute("data-deadline")),
          atRisk: Date.parse(el.getAttribute("data-at-risk")),
          windows: parseWindows(el.getAttribute("data-windows")),
          state: null,
        };
      }
    ).filter(function (c) { return !isNaN(c.deadline); });
    if (!countdowns.length) return;

    function tick() {
      var now = Date.now();
      countdowns.forEach(function (c) {
        var text = c.windows && now <= c.deadline
          ? workingCountdownText(c.windows, now)
          : countdownText(c.deadline, now);
        if (c.el.textContent !== text) c.el.textContent = text;
        setState(c, stateAt(c, now));
      });
    }
    tick();
    // Align ticks with the wall clock's second so every countdown changes together.
    setTimeout(function () { tick(); setInterval(tick, 1000); }, 1000 - (Date.now() % 1000));
  }

  function setUpDialogs() {
    document.addEventListener("click", function (event) {
      // A print button (data-print) prints the page; no inline handler, which the CSP would refuse.
      if (event.target.closest("[data-print]")) {
        window.print();
        return;
      }
      var opener = event.target.closest("[data-dialog-open]");
      if (opener) {
        var dialog = document.getElementById(opener.getAttribute("data-dialog-open"));
        if (!dialog || typeof dialog.showModal !== "function") return;
        var form = dialog.querySelector("form");
        // The queue shares one dialog between rows: the row's button says which ticket.
        if (opener.hasAttribute("data-action") && form) {
          form.setAttribute("action", opener.getAttribute("data-action"));
          var label = dialog.querySelector("[data-dialog-ticket]");
          if (label) label.textContent = opener.getAttribute("data-ticket") + ".";
        }
        dialog.returnFocusTo = opener;
        dialog.showModal();
        var first = dialog.querySelector("textarea, input:not([type=hidden]), select");
        if (first) first.focus();
        return;
      }
      var closer = event.target.closest("[data-dialog-close]");
      if (closer) {
        var open = closer.closest("dialog");
        if (open) open.close();
      }
    });
    document.querySelectorAll("dialog").forEach(function (dialog) {
      dialog.addEventListener("close", function () {
        if (dialog.returnFocusTo) dialog.returnFocusTo.focus();
      });
      // A click on the backdrop (outside the dialog box) closes it.
      dialog.addEventListener("click", function (event) {
        if (event.target === dialog) dialog.close();
      });
      if (dialog.hasAttribute("data-open-on-load") && typeof dialog.showModal === "function") {
        dialog.showModal();
      }
    });
  }

  function setUpReplyToggle() {
    document.querySelectorAll("[data-reply-form]").forEach(function (form) {
      var submit = form.querySelector("[data-reply-submit]");
      function update() {
        var checked = form.querySelector("input[name=visibility]:checked");
        var internal = checked && checked.value === "internal";
        form.classList.toggle("reply--internal", !!internal);
        if (submit) {
          submit.textContent = submit.getAttribute(internal ? "data-label-internal" : "data-label-public");
        }
      }
      form.addEventListener("change", update);
      update();
    });
  }

  function setUpTicketForm() {
    document.querySelectorAll("[data-ticket-form]").forEach(function (form) {
      var incident = form.querySelector("[data-incident]");
      if (!incident) return;
      function update() {
        var checked = form.querySelector("input[name=priority]:checked");
        incident.classList.toggle("incident--active", !!checked && checked.value === "high");
      }
      form.addEventListener("change", update);
      update();
    });
  }

  /* On a phone the main menu folds behind a "Menu" button (CSS shows it below 720 px). */
  function setUpMenu() {
    var toggle = document.querySelector("[data-nav-toggle]");
    var topbar = document.querySelector(".topbar");
    if (!toggle || !topbar) return;
    toggle.hidden = false;
    topbar.classList.add("topbar--menu");
    toggle.addEventListener("click", function () {
      var open = !topbar.classList.contains("topbar--open");
      topbar.classList.toggle("topbar--open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  function init() {
    setUpMenu();
    startCountdowns();
    setUpDialogs();
    setUpReplyToggle();
    setUpTicketForm();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
