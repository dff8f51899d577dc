/* The engineer's queue: live counters and arrivals (polling), keyboard shortcuts, a help overlay. */
(function () {
  "use strict";

  function pollCounters() {
    var list = document.querySelector("[data-counters-url]");
    if (!list) return;
    var newest = Number(list.dataset.newest || 0);
    var notice = document.querySelector("[data-new-tickets]");
    var announced = 0;
    function tick() {
      fetch(list.dataset.countersUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) return;
          list.querySelectorAll("[data-counter]").forEach(function (cell) {
            var value = data[cell.dataset.counter];
            if (value !== undefined && String(value) !== cell.textContent) cell.textContent = value;
          });
          if (notice && data.newest > newest && data.newest !== announced) {
            announced = data.newest;
            notice.querySelector("[data-new-tickets-text]").textContent = "New tickets have arrived.";
            notice.hidden = false;
            if (window.Notification && Notification.permission === "granted" && document.hidden) {
              new Notification("Pledge: a new ticket");
            }
          }
        })
        .catch(function () { /* offline for a moment: the next poll tries again */ });
    }
    // Every 10 s; a page (or a test) may ask for another pace with window.pledgePollMs.
    window.setInterval(tick, Number(window.pledgePollMs || list.dataset.pollMs || 10000));
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll(".table--queue tbody tr[data-ticket]"));
  }

  function current() {
    return document.querySelector(".table--queue tr.row--cursor");
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var index = all.indexOf(current());
    var next = all[Math.max(0, Math.min(all.length - 1, index + step))];
    if (index === -1) next = all[0];
    all.forEach(function (row) { row.classList.remove("row--cursor"); row.removeAttribute("aria-current"); });
    next.classList.add("row--cursor");
    next.setAttribute("aria-current", "true");
    next.scrollIntoView({ block: "nearest" });
  }

  function typing(event) {
    var target = event.target;
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }

  function toggleHelp(show) {
    var help = document.getElementById("shortcut-help");
    if (!help) return;
    if (show === undefined) show = !help.open;
    if (show && !help.open) help.showModal();
    if (!show && help.open) help.close();
  }

  function keyboard() {
    if (!document.querySelector(".table--queue, [data-search-box]")) return;
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) return;
      var row = current();
      switch (event.key) {
        case "j": move(1); break;
        case "k": move(-1); break;
        case "Enter":
          if (!row) return;
          window.location.href = row.querySelector("a.ticket-link").href;
          break;
        case "r":
          if (!row) return;
          window.location.href = row.querySelector("a.ticket-link").href + "#reply";
          break;
        case "a":
          if (!row || !row.querySelector("[data-take]")) return;
          row.querySelector("[data-take]").click();
          break;
        case "/":
          var box = document.querySelector("[data-search-box]");
          if (!box) return;
          box.focus();
          break;
        case "?": toggleHelp(); break;
        default: return;
      }
      event.preventDefault();
    });
  }

  function selectAll() {
    var all = document.querySelector("[data-select-all]");
    if (!all) return;
    all.addEventListener("change", function () {
      document.querySelectorAll(".row-select").forEach(function (box) { box.checked = all.checked; });
    });
  }

  function cannedReplies() {
    document.querySelectorAll("[data-canned-insert]").forEach(function (select) {
      select.addEventListener("change", function () {
        var option = select.options[select.selectedIndex];
        var box = select.form.querySelector("textarea[name=body]");
        if (!option.value || !box) return;
        var start = box.selectionStart || box.value.length;
        box.value = box.value.slice(0, start) + option.dataset.body + box.value.slice(box.selectionEnd || start);
        box.focus();
        select.selectedIndex = 0;
      });
    });
  }

  function init() {
    cannedReplies();
    pollCounters();
    keyboard();
    selectAll();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
