/* The agent workspace aids: keyboard shortcuts, macro picker, presence and time tracking.
 * No library. Settings come from data attributes on #workspace (the ticket page) so tests can
 * shorten the intervals. */
(function () {
  "use strict";

  var QUEUE_KEY = "workspace:queue";

  function csrfToken() {
    var holder = document.getElementById("workspace");
    if (holder && holder.dataset.csrf) return holder.dataset.csrf;
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function post(url, data) {
    var body = new URLSearchParams(data);
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "fetch" },
    });
  }

  // Fire-and-forget on the way out: sendBeacon cannot set headers, so the token goes in the body.
  function beacon(url, data) {
    var form = new FormData();
    Object.keys(data).forEach(function (k) { form.append(k, data[k]); });
    form.append("csrfmiddlewaretoken", csrfToken());
    if (navigator.sendBeacon) navigator.sendBeacon(url, form);
  }

  // crypto.randomUUID needs a secure context; getRandomValues does not.
  function uuid4() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function isTyping(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function openDialog(dialog) {
    if (dialog && !dialog.open) dialog.showModal();
  }

  function closeDialogs() {
    var closed = false;
    document.querySelectorAll("dialog[open]").forEach(function (d) { d.close(); closed = true; });
    return closed;
  }

  function click(selector) {
    var el = document.querySelector(selector);
    if (el) { el.click(); return true; }
    return false;
  }

  function focus(selector) {
    var el = document.querySelector(selector);
    if (el) {
      if (el.closest("details") && !el.closest("details").open) el.closest("details").open = true;
      el.focus();
      return true;
    }
    return false;
  }

  /* --- The ticket list: j/k highlight, Enter/o open -------------------------------------- */

  function setupList() {
    var rows = function () { return Array.prototype.slice.call(document.querySelectorAll(".ticket-row")); };
    if (!rows().length) return null;
    // Remember the queue, so J/K on a ticket page walk the same list. Read the address again when
    // a ticket is opened: the filters may have changed in place (htmx) since the page loaded.
    function rememberQueue() {
      try { sessionStorage.setItem(QUEUE_KEY, location.search.replace(/^\?/, "")); } catch (e) { /* private mode */ }
    }
    rememberQueue();
    document.addEventListener("click", function (event) {
      if (event.target.closest && event.target.closest(".ticket-row a")) rememberQueue();
    }, true);
    var current = -1;

    function highlight(index) {
      var all = rows();
      if (!all.length) return;
      current = Math.max(0, Math.min(all.length - 1, index));
      all.forEach(function (row, i) {
        row.classList.toggle("is-current", i === current);
        if (i === current) row.setAttribute("aria-current", "true");
        else row.removeAttribute("aria-current");
      });
      all[current].scrollIntoView({ block: "nearest" });
    }

    return function (event) {
      var key = event.key;
      if (key === "j") { highlight(current + 1); return true; }
      if (key === "k") { highlight(current - 1); return true; }
      if ((key === "Enter" || key === "o") && current >= 0) {
        var link = rows()[current] && rows()[current].querySelector(".ticket-link");
        if (link) { link.click(); return true; }
      }
      return false;
    };
  }

  /* --- The ticket page ------------------------------------------------------------------- */

  function composerState() {
    var active = document.activeElement;
    var boxes = ["reply-body", "note-body"].map(function (id) { return document.getElementById(id); });
    var replying = boxes.some(function (box) {
      return box && (box === active || (box.value || "").trim() !== "");
    });
    return replying ? "replying" : "viewing";
  }

  function setupPresence(config) {
    var banner = document.getElementById("presence");
    if (!banner) return;
    var lastState = null;
    function ping() {
      lastState = composerState();
      post(config.presenceUrl, { state: lastState })
        // A redirect means the session ended (the login page): show nothing rather than that page.
        .then(function (r) { return r.ok && !r.redirected ? r.text() : ""; })
        .then(function (html) { banner.innerHTML = html.trim(); })
        .catch(function () { /* offline: try again on the next tick */ });
    }
    function pingIfChanged() { if (composerState() !== lastState) ping(); }
    ping();
    setInterval(ping, Number(config.presenceInterval) || 10000);
    document.addEventListener("focusin", pingIfChanged);
    document.addEventListener("focusout", function () { setTimeout(pingIfChanged, 0); });
    document.addEventListener("input", pingIfChanged);
    window.addEventListener("pagehide", function () { beacon(config.presenceLeaveUrl, {}); });
  }

  function setupTimeTracking(config) {
    var key = uuid4();
    var idleMs = Number(config.idle) || 60000;
    var lastInput = Date.now(); // opening the page is activity
    var pending = 0;
    var sending = false;
    var total = document.getElementById("time-total");

    ["keydown", "mousemove", "mousedown", "wheel", "scroll", "touchstart", "focusin"].forEach(function (name) {
      window.addEventListener(name, function () { lastInput = Date.now(); }, { passive: true, capture: true });
    });

    // Count a second only when the tab is visible and someone touched it within the idle window.
    setInterval(function () {
      if (document.visibilityState === "visible" && Date.now() - lastInput < idleMs) pending += 1;
    }, 1000);

    function send() {
      if (sending || pending <= 0) return;
      var seconds = pending;
      sending = true;
      post(config.timeUrl, { tracking_key: key, seconds: seconds })
        .then(function (r) { return r.ok && !r.redirected ? r.json() : null; })
        .then(function (data) {
          if (data) {
            pending -= seconds;
            if (total && data.total) total.textContent = data.total;
          }
        })
        .catch(function () { /* keep the seconds for the next try */ })
        .finally(function () { sending = false; });
    }
    setInterval(send, Number(config.timeInterval) || 30000);
    window.addEventListener("pagehide", function () {
      if (pending > 0) beacon(config.timeUrl, { tracking_key: key, seconds: pending });
      pending = 0;
    });
  }

  function setupQueueNav(config) {
    var nav = document.getElementById("queue-nav");
    if (!nav) return;
    var query = "";
    try { query = sessionStorage.getItem(QUEUE_KEY) || ""; } catch (e) { /* private mode */ }
    fetch(config.queueNavUrl + (query ? "?" + query : ""), { credentials: "same-origin" })
      .then(function (r) { return r.ok && !r.redirected ? r.text() : ""; })
      .then(function (html) { nav.innerHTML = html.trim(); })
      .catch(function () {});
  }

  function setupMacroPicker() {
    var dialog = document.getElementById("macro-picker");
    if (!dialog) return null;
    var filter = document.getElementById("macro-filter");
    var empty = document.getElementById("macro-empty");
    var error = document.getElementById("macro-error");
    var items = Array.prototype.slice.call(dialog.querySelectorAll("#macro-list li"));
    var active = -1;

    function visible() { return items.filter(function (li) { return !li.hidden; }); }

    function select(index) {
      var shown = visible();
      items.forEach(function (li) { li.classList.remove("is-current"); li.setAttribute("aria-selected", "false"); });
      if (!shown.length) { active = -1; filter.removeAttribute("aria-activedescendant"); return; }
      active = (index + shown.length) % shown.length;
      shown[active].classList.add("is-current");
      shown[active].setAttribute("aria-selected", "true");
      filter.setAttribute("aria-activedescendant", shown[active].id);
      shown[active].scrollIntoView({ block: "nearest" });
    }

    function applyFilter() {
      var words = filter.value.toLowerCase().trim().split(/\s+/).filter(Boolean);
      items.forEach(function (li) {
        var text = li.dataset.search || "";
        li.hidden = !words.every(function (w) { return text.indexOf(w) !== -1; });
      });
      empty.hidden = visible().length > 0;
      select(0);
    }

    function fillReply(text) {
      var box = document.getElementById("reply-body");
      if (!box) return;
      var details = box.closest("details");
      if (details) details.open = true;
      box.value = box.value.trim() ? box.value.replace(/\s+$/, "") + "\n\n" + text : text;
      box.dispatchEvent(new Event("input", { bubbles: true }));
      box.focus();
      box.setSelectionRange(box.value.length, box.value.length);
    }

    function apply(li) {
      error.hidden = true;
      post(li.dataset.applyUrl, {})
        .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
        .then(function (result) {
          if (!result.ok) {
            error.textContent = result.data.error || "";
            error.hidden = false;
            return;
          }
          dialog.close();
          if (result.data.facts) {
            var facts = document.querySelector(".ticket-head .facts");
            if (facts) facts.outerHTML = result.data.facts;
          }
          fillReply(result.data.text);
          document.body.dispatchEvent(new CustomEvent("ticket:changed", { bubbles: true }));
        })
        .catch(function () { error.textContent = "…"; error.hidden = false; });
    }

    filter.addEventListener("input", applyFilter);
    filter.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") { event.preventDefault(); select(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); select(active - 1); }
      else if (event.key === "Enter") {
        event.preventDefault();
        var shown = visible();
        if (active >= 0 && shown[active]) apply(shown[active]);
      }
    });
    items.forEach(function (li) { li.addEventListener("click", function () { apply(li); }); });

    return function open() {
      filter.value = "";
      applyFilter();
      error.hidden = true;
      openDialog(dialog);
      filter.focus();
    };
  }

  function submitComposer(target) {
    var form = target && target.form;
    if (!form) return false;
    var button = target.id === "reply-body" ? document.getElementById("reply-send") : null;
    if (button && form.contains(button)) button.click();
    else if (form.requestSubmit) form.requestSubmit();
    else form.submit();
    return true;
  }

  function ticketKeys(openMacros) {
    return function (event) {
      switch (event.key) {
        case "r": return focus("#reply-body");
        case "n": return focus("#note-body");
        case "a": return click("#assign-me");
        case "s": return click("#solve");
        case "m": if (openMacros) { openMacros(); return true; } return false;
        case "J": case "]": return click("#next-ticket");
        case "K": case "[": return click("#prev-ticket");
        default: return false;
      }
    };
  }

  /* --- Wiring ---------------------------------------------------------------------------- */

  function init() {
    var handlers = [];
    var listKeys = setupList();
    if (listKeys) handlers.push(listKeys);

    var holder = document.getElementById("workspace");
    if (holder) {
      var config = holder.dataset;
      setupPresence(config);
      setupTimeTracking(config);
      setupQueueNav(config);
      handlers.push(ticketKeys(setupMacroPicker()));
    }

    document.querySelectorAll("dialog [data-close]").forEach(function (button) {
      button.addEventListener("click", function () { button.closest("dialog").close(); });
    });

    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.isComposing) return;
      var target = event.target;
      if (event.key === "Escape") {
        if (!closeDialogs() && isTyping(target)) target.blur();
        return;
      }
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        if (isTyping(target) && submitComposer(target)) event.preventDefault();
        return;
      }
      if (isTyping(target) || event.ctrlKey || event.metaKey || event.altKey) return;
      if (document.querySelector("dialog[open]") && event.key !== "?") return;
      if (event.key === "?") {
        var help = document.getElementById("shortcuts-help");
        if (help) {
          if (help.open) help.close(); else { closeDialogs(); openDialog(help); }
          event.preventDefault();
        }
        return;
      }
      for (var i = 0; i < handlers.length; i++) {
        if (handlers[i](event)) { event.preventDefault(); return; }
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
