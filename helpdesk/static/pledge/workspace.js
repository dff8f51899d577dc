/* The engineer's queue: live counters and arrivals (polling) with an optional sound and browser
   notification, keyboard shortcuts, a help overlay. */
(function () {
  "use strict";

  function alertsOn() {
    var button = document.querySelector("[data-alerts-button]");
    return !!button && button.getAttribute("aria-pressed") === "true";
  }

  // A short two-note chime made on the spot: no sound file to fetch, nothing for the CSP to allow.
  function chime() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      var audio = new Context();
      [660, 880].forEach(function (pitch, index) {
        var tone = audio.createOscillator();
        var gain = audio.createGain();
        var at = audio.currentTime + index * 0.18;
        tone.frequency.value = pitch;
        gain.gain.setValueAtTime(0.15, at);
        gain.gain.exponentialRampToValueAtTime(0.001, at + 0.16);
        tone.connect(gain).connect(audio.destination);
        tone.start(at);
        tone.stop(at + 0.17);
      });
      window.setTimeout(function () { audio.close(); }, 1000);
    } catch (error) { /* no sound device: the notice on the page still shows */ }
  }

  function announce(notice, text, title) {
    if (!notice) return;
    notice.querySelector("span").textContent = text;
    notice.hidden = false;
    if (!alertsOn()) return;
    chime();
    if (window.Notification && Notification.permission === "granted") {
      new Notification("Pledge: " + title, { body: text, tag: "pledge-" + title });
    }
    document.body.dataset.alerted = String(Number(document.body.dataset.alerted || 0) + 1);
  }

  function alertsToggle() {
    var form = document.querySelector("[data-alerts-form]");
    if (!form) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var value = form.querySelector("[data-alerts-value]");
      var turningOn = value.value === "on";
      // The browser asks for permission only now, on the engineer's own click.
      if (turningOn && window.Notification && Notification.permission === "default") {
        Notification.requestPermission();
      }
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { Accept: "application/json" }
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) return;
          form.querySelector("[data-alerts-button]").setAttribute("aria-pressed", data.alerts ? "true" : "false");
          form.querySelector("[data-alerts-state]").textContent = data.alerts ? "on" : "off";
          value.value = data.alerts ? "off" : "on";
        })
        .catch(function () { /* offline: the button keeps its state */ });
    });
  }

  function pollCounters() {
    var list = document.querySelector("[data-counters-url]");
    if (!list) return;
    var newest = Number(list.dataset.newest || 0);
    var newestChat = null; // learnt from the first poll: chats waiting before the page opened are not news
    var polls = 0;
    function tick() {
      fetch(list.dataset.countersUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) return;
          list.querySelectorAll("[data-counter]").forEach(function (cell) {
            var value = data[cell.dataset.counter];
            if (value !== undefined && String(value) !== cell.textContent) cell.textContent = value;
          });
          if (data.newest > newest) {
            newest = data.newest;
            announce(document.querySelector("[data-new-tickets]"), "New tickets have arrived.", "a new ticket");
          }
          if (data.newest_chat !== undefined) {
            if (newestChat !== null && data.newest_chat > newestChat) {
              var waiting = data.chats_waiting === 1 ? "A chat is waiting." : data.chats_waiting + " chats are waiting.";
              announce(document.querySelector("[data-new-chats]"), "A new chat has arrived. " + waiting, "a new chat");
            }
            newestChat = Math.max(newestChat || 0, data.newest_chat);
          }
          list.dataset.polls = String(++polls);
        })
        .catch(function () { /* offline for a moment: the next poll tries again */ });
    }
    tick();
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
    alertsToggle();
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
