/*
 * The staff workbench (移动大堂易): live updates and leaving safely.
 *
 * - Live: one EventSource on /api/v1/events/stream, starting after the last event the page
 *   was rendered with (data-events-url). The server sends each event with its id, so after
 *   a dropped connection the browser resumes by itself with Last-Event-ID and no arrival is
 *   missed.
 * - What is shown is rendered by the server: a block that lists the kinds of event it
 *   depends on in data-refresh-on is fetched again from its data-refresh-url and swapped in
 *   with htmx.ajax. A block with data-visit-id (or data-customer-number) refreshes only for
 *   events of that visit (or customer). A block the user is working in (a focused field, an
 *   open <details>) is not refreshed under their fingers; it refreshes when they are done.
 * - Toasts ("王先生 (白金卡) has arrived"): the sentences are rendered into the page in its
 *   language (data-text-* on #workbench-live) and the script only fills in the name, the
 *   tier and the counter from the event; the toast itself is a <template> of the page.
 * - Nothing about a customer is ever written to localStorage, sessionStorage, IndexedDB or
 *   any cache by this script, and HTMX's history cache is off (base.html). When the page is
 *   left (pagehide) or its user signs out, the customer data the page holds is removed from
 *   the DOM and the stream closed, so a shared tablet shows nothing of the last customer
 *   (not in the back/forward cache either).
 */
(function () {
  "use strict";

  var live = document.getElementById("workbench-live");
  var toasts = document.getElementById("toasts");
  var toastTemplate = document.getElementById("toast-template");
  var offline = document.getElementById("workbench-offline");
  var source = null;
  var KINDS = [
    "customer.arrived",
    "customer.called",
    "visit.updated",
    "handoff.created",
    "handoff.updated",
    "lead.outcome"
  ];
  var TOAST_MS = 12000;
  var MAX_TOASTS = 4;

  // ---- clearing what the page holds -------------------------------------------------------

  function clearCustomerData() {
    if (source) {
      source.close();
      source = null;
    }
    var main = document.getElementById("main");
    if (main) {
      while (main.firstChild) {
        main.removeChild(main.firstChild);
      }
    }
    if (toasts) {
      while (toasts.firstChild) {
        toasts.removeChild(toasts.firstChild);
      }
    }
  }

  // Leaving the page (navigation, tab closed, tablet locked into the back/forward cache):
  // the DOM is emptied so that nothing of the customer can be shown again from memory.
  window.addEventListener("pagehide", clearCustomerData);
  // A page brought back from the back/forward cache was emptied when it was left: ask the
  // server again (which checks the session and audits the read) instead of showing nothing.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      window.location.reload();
    }
  });

  // Signing out: clear first, the form then posts as usual.
  var signOutForms = document.querySelectorAll("form[data-sign-out]");
  for (var f = 0; f < signOutForms.length; f++) {
    signOutForms[f].addEventListener("submit", clearCustomerData);
  }

  if (!live) {
    return;
  }

  // ---- refreshing blocks ------------------------------------------------------------------

  var pending = {};

  function busy(element) {
    var active = document.activeElement;
    if (active && active !== document.body && element.contains(active)) {
      var tag = active.tagName;
      if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") {
        return true;
      }
    }
    return element.querySelector("details[open]") !== null;
  }

  function refresh(element) {
    var url = element.getAttribute("data-refresh-url");
    if (!url || !window.htmx) {
      return;
    }
    if (busy(element)) {
      // Try again once the user leaves the block.
      element.setAttribute("data-refresh-due", "true");
      return;
    }
    element.removeAttribute("data-refresh-due");
    window.htmx.ajax("GET", url, { target: element, swap: "innerHTML" });
  }

  function schedule(element) {
    // A burst of events (a call, then its visit update) becomes one request per block.
    var key = element.id;
    if (pending[key]) {
      return;
    }
    pending[key] = window.setTimeout(function () {
      pending[key] = null;
      refresh(element);
    }, 200);
  }

  document.addEventListener("focusout", function () {
    window.setTimeout(function () {
      var due = document.querySelectorAll("[data-refresh-due]");
      for (var i = 0; i < due.length; i++) {
        schedule(due[i]);
      }
    }, 0);
  });
  document.addEventListener(
    "toggle",
    function (event) {
      if (event.target && event.target.open === false) {
        var due = document.querySelectorAll("[data-refresh-due]");
        for (var i = 0; i < due.length; i++) {
          schedule(due[i]);
        }
      }
    },
    true
  );

  function concerns(element, event) {
    var visit = element.getAttribute("data-visit-id");
    if (visit && String(event.visit_id) !== visit) {
      return false;
    }
    var customer = element.getAttribute("data-customer-number");
    if (customer && event.customer_number !== customer) {
      return false;
    }
    return true;
  }

  function refreshFor(kind, event) {
    var blocks = document.querySelectorAll("[data-refresh-on]");
    for (var i = 0; i < blocks.length; i++) {
      var kinds = " " + blocks[i].getAttribute("data-refresh-on") + " ";
      if (kinds.indexOf(" " + kind + " ") >= 0 && concerns(blocks[i], event)) {
        schedule(blocks[i]);
      }
    }
  }

  // ---- toasts -----------------------------------------------------------------------------

  var tierLabels = {};
  try {
    tierLabels = JSON.parse(live.getAttribute("data-tier-labels") || "{}");
  } catch (ignored) {
    tierLabels = {};
  }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : whole;
    });
  }

  var locale = live.getAttribute("data-locale") || "";

  // A value of the event's data: a string, or one per language ({"zh_CN": …, "en": …}), of
  // which the page's language is taken.
  function field(data, names) {
    for (var i = 0; i < names.length; i++) {
      var value = data[names[i]];
      if (value && typeof value === "object" && typeof value[locale] === "string") {
        value = value[locale];
      }
      if (typeof value === "string" && value) {
        return value;
      }
    }
    return "";
  }

  function toast(kind, event) {
    var text = live.getAttribute("data-text-" + kind);
    if (!text || !toasts || !toastTemplate) {
      return;
    }
    var data = event.data || {};
    var tier = field(data, ["tier"]);
    var sentence = fill(text, {
      name: field(data, ["greeting", "name", "customer_name"]) ||
        live.getAttribute("data-text-customer"),
      tier: tierLabels[tier] || field(data, ["tier_label"]) || tier,
      counter: field(data, ["counter", "counter_code"])
    });
    var node = toastTemplate.content.firstElementChild.cloneNode(true);
    node.querySelector(".toast__text").textContent = sentence;
    node.setAttribute("data-kind", event.kind || "");
    var open = node.querySelector(".toast__open");
    if (event.customer_number) {
      open.setAttribute(
        "href",
        live.getAttribute("data-customer-url") + encodeURIComponent(event.customer_number)
      );
    } else {
      open.parentNode.removeChild(open);
    }
    node.querySelector(".toast__close").addEventListener("click", function () {
      if (node.parentNode) {
        node.parentNode.removeChild(node);
      }
    });
    toasts.insertBefore(node, toasts.firstChild);
    while (toasts.children.length > MAX_TOASTS) {
      toasts.removeChild(toasts.lastChild);
    }
    window.setTimeout(function () {
      if (node.parentNode) {
        node.parentNode.removeChild(node);
      }
    }, TOAST_MS);
  }

  var TOASTS = {
    "customer.arrived": "arrived",
    "customer.called": "called",
    "handoff.created": "handoff"
  };

  // ---- the stream -------------------------------------------------------------------------

  function onEvent(message) {
    var event;
    try {
      event = JSON.parse(message.data);
    } catch (ignored) {
      return;
    }
    var kind = message.type && message.type !== "message" ? message.type : event.kind;
    if (TOASTS[kind]) {
      toast(TOASTS[kind], event);
    }
    refreshFor(kind, event);
  }

  function setOnline(online) {
    if (offline) {
      offline.hidden = online;
    }
  }

  var eventsUrl = live.getAttribute("data-events-url");
  if (!window.EventSource || !eventsUrl) {
    return;
  }
  source = new window.EventSource(eventsUrl);
  source.addEventListener("open", function () {
    setOnline(true);
  });
  source.addEventListener("error", function () {
    // EventSource reconnects by itself, sending Last-Event-ID.
    setOnline(source !== null && source.readyState === window.EventSource.OPEN);
  });
  for (var k = 0; k < KINDS.length; k++) {
    source.addEventListener(KINDS[k], onEvent);
  }
  source.addEventListener("message", onEvent);
})();
