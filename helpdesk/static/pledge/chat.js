/* Pledge live chat: the chat window and the engineers' console, live over WebSockets.
   Without it both pages still work: forms post and the page reloads. */
(function () {
  "use strict";

  var STATUS_LABELS = { queued: "Waiting", active: "Active", ended: "Ended" };

  var duration = window.Pledge.duration; /* duration.js: the one format, shared with the server */

  function hide(el, hidden) {
    if (el) el.hidden = !!hidden;
  }

  /* A socket that reconnects with backoff, asking each time for what it missed. A 44xx
     close means the server refused us for good (not signed in, not a party): no retry. */
  function liveSocket(path, query, handlers) {
    var attempts = 0;
    var ws = null;
    var stopped = false;

    function connect() {
      var scheme = location.protocol === "https:" ? "wss:" : "ws:";
      ws = new WebSocket(scheme + "//" + location.host + path + (query ? query() : ""));
      ws.onopen = function () {
        attempts = 0;
        if (handlers.open) handlers.open();
      };
      ws.onmessage = function (event) {
        var data;
        try { data = JSON.parse(event.data); } catch (e) { return; }
        handlers.message(data);
      };
      ws.onclose = function (event) {
        if (event.code >= 4400 && event.code < 4500) {
          stopped = true;
          if (handlers.refused) handlers.refused(event.code);
          return;
        }
        if (handlers.closed) handlers.closed();
        if (stopped) return;
        attempts += 1;
        setTimeout(connect, Math.min(10000, 400 * Math.pow(2, attempts)));
      };
    }

    connect();
    return {
      send: function (payload) {
        if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(payload));
      },
    };
  }

  /* ---- countdowns and "waiting for" clocks ------------------------------------------- */

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-chat-countdown][data-ends-at]").forEach(function (el) {
      var left = (Date.parse(el.getAttribute("data-ends-at")) - now) / 1000;
      var warning = Number(el.getAttribute("data-warning") || 120);
      var text = left > 0 ? duration(left) + " left" : "time is up";
      if (el.textContent !== text) el.textContent = text;
      el.classList.toggle("chat-countdown--warning", left > 0 && left <= warning);
      el.classList.toggle("chat-countdown--over", left <= 0);
    });
    document.querySelectorAll("[data-chat-since]").forEach(function (el) {
      var text = duration((now - Date.parse(el.getAttribute("data-chat-since"))) / 1000);
      if (el.textContent !== text) el.textContent = text;
    });
    document.dispatchEvent(new CustomEvent("pledge:chat-tick", { detail: now }));
  }

  function startTicking() {
    tick();
    setTimeout(function () { tick(); setInterval(tick, 1000); }, 1000 - (Date.now() % 1000));
  }

  /* ---- the chat window ----------------------------------------------------------------- */

  function setUpChat(root) {
    var me = Number(root.getAttribute("data-me"));
    var lastId = Number(root.getAttribute("data-last-id")) || 0;
    var tz = root.getAttribute("data-tz") || undefined;
    var log = root.querySelector("[data-chat-log]");
    var composer = root.querySelector("[data-chat-composer]");
    var textarea = composer && composer.querySelector("textarea");
    var sendButton = composer && composer.querySelector("button[type=submit]");
    var errorBox = root.querySelector("[data-chat-error]");
    var typingBox = root.querySelector("[data-chat-typing]");
    var connection = root.querySelector("[data-chat-connection]");
    var countdown = root.querySelector("[data-chat-countdown]");
    var reasonsNode = document.getElementById("chat-end-reasons");
    var endReasons = reasonsNode ? JSON.parse(reasonsNode.textContent) : {};
    var state = { status: root.getAttribute("data-status") };
    var seen = {};
    var typingTimer = null;
    var lastTypingSent = 0;
    var socket = null;

    if (!log) return;
    log.querySelectorAll("[data-chat-line]").forEach(function (el) {
      seen[el.getAttribute("data-chat-line")] = true;
    });

    function timeText(iso) {
      var date = new Date(iso);
      try {
        return new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: tz }).format(date);
      } catch (e) {
        return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      }
    }

    function nearBottom() {
      return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    }

    function scrollDown() {
      log.scrollTop = log.scrollHeight;
    }

    function element(tag, className, text) {
      var el = document.createElement(tag);
      if (className) el.className = className;
      if (text !== undefined) el.textContent = text;
      return el;
    }

    function addLine(message) {
      if (seen[message.id]) return;
      seen[message.id] = true;
      if (message.id > lastId) lastId = message.id;
      var stick = nearBottom();
      var li = element("li");
      li.setAttribute("data-chat-line", message.id);
      var time = element("time", "chat-line__time", timeText(message.created_at));
      time.setAttribute("datetime", message.created_at);
      if (message.kind === "system" || !message.author) {
        li.className = "chat-line chat-line--system";
        li.appendChild(element("p", "chat-line__notice", message.body));
        li.appendChild(time);
      } else {
        var staff = message.author.role === "staff";
        li.className = "chat-line " + (message.author.id === me ? "chat-line--mine" : "chat-line--theirs") +
          (staff ? " chat-line--staff" : "");
        var head = element("div", "chat-line__head");
        head.appendChild(element("span", "chat-line__author", message.author.name));
        if (staff) head.appendChild(element("span", "chat-line__role", "Support"));
        head.appendChild(time);
        li.appendChild(head);
        li.appendChild(element("div", "chat-line__body", message.body));
        if (typingBox && message.author.id !== me) typingBox.textContent = "";
      }
      // Lines go in id order, whichever way (socket or POST answer) they arrived first.
      var after = null;
      log.querySelectorAll("[data-chat-line]").forEach(function (el) {
        if (!after && Number(el.getAttribute("data-chat-line")) > message.id) after = el;
      });
      log.insertBefore(li, after);
      if (stick || message.author && message.author.id === me) scrollDown();
    }

    function showError(text) {
      if (errorBox) errorBox.textContent = text || "";
    }

    function errorText(data) {
      if (!data) return "Could not send the message.";
      if (data.detail) return data.detail;
      var key = Object.keys(data)[0];
      var value = key ? data[key] : null;
      return Array.isArray(value) ? value.join(" ") : String(value || "Could not send the message.");
    }

    function setComposerOpen(open) {
      if (!composer) return;
      hide(composer, !open);
      if (textarea) textarea.disabled = !open;
      if (sendButton) sendButton.disabled = !open;
    }

    function applyState(chat) {
      state = chat;
      root.setAttribute("data-status", chat.status);
      var badge = root.querySelector("[data-chat-status]");
      if (badge) {
        badge.textContent = STATUS_LABELS[chat.status] || chat.status;
        badge.className = "badge badge--chat-" + chat.status;
      }
      hide(root.querySelector("[data-chat-waiting]"), chat.status !== "queued");
      hide(root.querySelector("[data-chat-running]"), chat.status !== "active");
      hide(root.querySelector("[data-chat-ended]"), chat.status !== "ended");
      var position = root.querySelector("[data-chat-position]");
      if (position && chat.queue_position) position.textContent = chat.queue_position;
      var engineer = root.querySelector("[data-chat-engineer]");
      if (engineer && chat.engineer) engineer.textContent = chat.engineer;
      if (countdown) {
        if (chat.ends_at) {
          countdown.setAttribute("data-ends-at", chat.ends_at);
        } else {
          countdown.removeAttribute("data-ends-at");
          countdown.textContent = "no time limit";
        }
      }
      var reason = root.querySelector("[data-chat-end-reason]");
      if (reason) reason.textContent = chat.end_reason ? ": " + (endReasons[chat.end_reason] || chat.end_reason).toLowerCase() : "";
      hide(root.querySelector("[data-chat-accept]"), chat.status !== "queued");
      hide(root.querySelector("[data-chat-end]"), chat.status === "ended");
      var endButton = root.querySelector("[data-chat-end] button");
      if (endButton && chat.status === "active") endButton.textContent = "End chat";
      if (chat.ticket) {
        var link = root.querySelector("[data-chat-ticket]");
        if (link) {
          link.setAttribute("href", "/tickets/" + chat.ticket + "/");
          var number = link.querySelector("[data-chat-ticket-number]");
          if (number) number.textContent = "#" + chat.ticket;
          hide(link, false);
        }
        root.querySelectorAll("[data-chat-escalate]").forEach(function (form) { hide(form, true); });
      }
      var escalate = root.querySelector("[data-chat-escalate]");
      hide(root.querySelector("[data-chat-offer]"), !(chat.status === "ended" && !chat.ticket && escalate));
      setComposerOpen(chat.status !== "ended");
      tick();
    }

    function handle(data) {
      if (data.type === "message") {
        addLine(data.message);
      } else if (data.type === "state") {
        applyState(data.chat);
      } else if (data.type === "typing") {
        if (!typingBox) return;
        typingBox.textContent = data.name + " is typing…";
        clearTimeout(typingTimer);
        typingTimer = setTimeout(function () { typingBox.textContent = ""; }, 4000);
      }
    }

    var path = root.getAttribute("data-socket-path");
    if (path) {
      socket = liveSocket(path, function () { return "?after=" + lastId; }, {
        message: handle,
        open: function () {
          hide(connection, false);
          if (connection) connection.textContent = "Live";
          if (connection) connection.className = "chat-connection chat-connection--live";
        },
        closed: function () {
          hide(connection, false);
          if (connection) connection.textContent = "Reconnecting…";
          if (connection) connection.className = "chat-connection";
        },
        refused: function () {
          hide(connection, false);
          if (connection) connection.textContent = "Not live";
        },
      });
    }

    // The limit passed: nobody can write any more, whatever the server has said so far.
    document.addEventListener("pledge:chat-tick", function (event) {
      if (state.status !== "active" || !countdown || !countdown.hasAttribute("data-ends-at")) return;
      if (Date.parse(countdown.getAttribute("data-ends-at")) <= event.detail) setComposerOpen(false);
    });

    if (composer && textarea) {
      var csrf = composer.querySelector("[name=csrfmiddlewaretoken]");
      composer.addEventListener("submit", function (event) {
        event.preventDefault();
        var body = textarea.value;
        if (!body.trim()) {
          showError("Write a message first.");
          return;
        }
        sendButton.disabled = true;
        fetch(root.getAttribute("data-post-url"), {
          method: "POST",
          credentials: "same-origin",
          headers: {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-CSRFToken": csrf ? csrf.value : "",
          },
          body: JSON.stringify({ body: body }),
        }).then(function (response) {
          return response.json().catch(function () { return null; }).then(function (data) {
            return { ok: response.ok, status: response.status, data: data };
          });
        }).then(function (result) {
          if (result.ok) {
            textarea.value = "";
            showError("");
            addLine(result.data);
          } else {
            showError(errorText(result.data));
            if (result.status === 409) setComposerOpen(false);
          }
        }).catch(function () {
          showError("Could not send: check your connection and try again.");
        }).then(function () {
          if (state.status !== "ended") sendButton.disabled = false;
          textarea.focus();
        });
      });
      textarea.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          composer.requestSubmit();
        }
      });
      textarea.addEventListener("input", function () {
        var now = Date.now();
        if (socket && now - lastTypingSent > 2500) {
          lastTypingSent = now;
          socket.send({ type: "typing" });
        }
      });
    }
    scrollDown();
  }

  /* ---- the engineers' console ------------------------------------------------------- */

  function setUpConsole(root) {
    var url = root.getAttribute("data-live-url");
    var loading = false;
    var again = false;

    function refresh() {
      if (loading) { again = true; return; }
      loading = true;
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html !== null) {
            root.innerHTML = html;
            tick();
          }
        })
        .catch(function () {})
        .then(function () {
          loading = false;
          if (again) { again = false; refresh(); }
        });
    }

    liveSocket(root.getAttribute("data-socket-path"), null, {
      message: function (data) { if (data.type === "lobby") refresh(); },
    });
    // The safety net for changes whose push cannot reach this server (a sweep elsewhere).
    setInterval(refresh, 10000);
  }

  function init() {
    document.querySelectorAll("[data-chat]").forEach(setUpChat);
    document.querySelectorAll("[data-chat-console]").forEach(setUpConsole);
    startTicking();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
