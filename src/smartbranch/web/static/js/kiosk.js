/*
 * The queue kiosk screen.
 *
 * - The field stands in for the card reader: numeric keyboard for cards and passbooks,
 *   full keyboard for a resident ID (its last character may be X).
 * - The number leaves the page with the request: the field is emptied as soon as HTMX has
 *   built the request, and the server never sends it back.
 * - A result stays on screen for a short while, then the kiosk returns to its welcome
 *   screen (and to the bank's language, if a customer switched it) for the next customer.
 */
(function () {
  "use strict";

  var form = document.getElementById("identify-form");
  var result = document.getElementById("kiosk-result");
  if (!form || !result) {
    return;
  }
  var input = form.querySelector("input[name='value']");
  var offline = document.getElementById("kiosk-offline");
  var resetSeconds = parseInt(form.getAttribute("data-reset-seconds"), 10) || 20;
  var resetUrl = form.getAttribute("data-reset-url") || "";
  var timer = null;

  function selectedKind() {
    var checked = form.querySelector("input[name='kind']:checked");
    return checked ? checked.value : "";
  }

  function updateKeyboard() {
    input.setAttribute("inputmode", selectedKind() === "id_card" ? "text" : "numeric");
  }

  function focusInput() {
    input.focus({ preventScroll: true });
  }

  function clearNumber() {
    input.value = "";
  }

  function resetScreen() {
    timer = null;
    if (resetUrl) {
      window.location.replace(resetUrl);
      return;
    }
    // form.reset() restores the default choice and empties the field; the hidden CSRF
    // field keeps its value.
    form.reset();
    result.replaceChildren();
    updateKeyboard();
    focusInput();
  }

  function scheduleReset(seconds) {
    if (timer !== null) {
      window.clearTimeout(timer);
    }
    timer = window.setTimeout(resetScreen, seconds * 1000);
  }

  function showOffline() {
    if (offline) {
      result.replaceChildren(offline.content.cloneNode(true));
    }
  }

  form.addEventListener("change", function (event) {
    if (event.target && event.target.name === "kind") {
      updateKeyboard();
      clearNumber();
      focusInput();
    }
  });

  function idleSeconds() {
    // A result is short-lived; an unused screen in another language waits longer.
    return result.children.length > 0 ? resetSeconds : resetSeconds * 3;
  }

  // A customer still typing keeps the screen: push an armed reset further away.
  form.addEventListener("input", function () {
    if (timer !== null) {
      scheduleReset(idleSeconds());
    }
  });

  // htmx:beforeSend fires after the request body is built, so emptying the field here
  // removes the number from the page without changing what is sent.
  form.addEventListener("htmx:beforeSend", clearNumber);

  form.addEventListener("htmx:afterRequest", function () {
    clearNumber();
    focusInput();
    scheduleReset(resetSeconds);
  });

  // A ticket taken from the result area (or without a card) stays on screen as long as a
  // result does, then the kiosk resets for the next customer.
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.target && event.target.closest && event.target.closest(".kiosk-ticket, .kiosk-anonymous")) {
      scheduleReset(resetSeconds);
    }
  });

  form.addEventListener("htmx:sendError", showOffline);
  form.addEventListener("htmx:responseError", showOffline);

  // Anything shown in the result area (including a page rendered without HTMX) resets.
  if (result.children.length > 0 || resetUrl) {
    scheduleReset(idleSeconds());
  }

  updateKeyboard();
  focusInput();
})();
