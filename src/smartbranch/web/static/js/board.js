/*
 * The display board (叫号屏).
 *
 * - Live: an EventSource on the board's event stream. The server sends one event per
 *   ticket change, with an id (the event cursor) so that after a dropped connection the
 *   browser resumes where it stopped (Last-Event-ID). The stream starts after the last
 *   event the page was rendered with, so opening the board does not replay old calls.
 * - What is shown is rendered by the server: on a change the board fetches the calls
 *   fragment and swaps it in (no HTML is built here).
 * - Announcements: the server sends the ready-made sentences (Chinese, and English when the
 *   outlet enables it). They are spoken through speechSynthesis one after another, never
 *   overlapping: the next one starts only after the previous utterance has ended and the
 *   engine is no longer speaking.
 * - Browsers may refuse speech until someone has touched the page; the board then shows a
 *   button to turn announcements on.
 */
(function () {
  "use strict";

  var board = document.getElementById("board");
  if (!board) {
    return;
  }
  var eventsUrl = board.getAttribute("data-events-url");
  var callsUrl = board.getAttribute("data-calls-url");
  var calls = document.getElementById("board-calls");
  var soundButton = document.getElementById("board-sound");
  var status = document.getElementById("board-status");
  var clock = document.getElementById("board-clock");
  var timezone = board.getAttribute("data-timezone") || undefined;

  // ---- speech, one utterance at a time ---------------------------------------------------

  var GAP_MS = 600; // a breath between two announcements
  var RETRY_MS = 250;
  var MAX_QUEUE = 20; // a board that fell far behind skips old calls rather than lag
  var queue = [];
  var speaking = false;
  var blocked = false;
  var synth = window.speechSynthesis;

  function voiceFor(lang) {
    if (!synth || !synth.getVoices) {
      return null;
    }
    var voices = synth.getVoices();
    var prefix = lang.slice(0, 2);
    for (var i = 0; i < voices.length; i++) {
      if (voices[i].lang === lang) {
        return voices[i];
      }
    }
    for (var j = 0; j < voices.length; j++) {
      if (voices[j].lang && voices[j].lang.slice(0, 2) === prefix) {
        return voices[j];
      }
    }
    return null;
  }

  function finished() {
    speaking = false;
    window.setTimeout(speakNext, GAP_MS);
  }

  function speakNext() {
    if (speaking || blocked || queue.length === 0 || !synth) {
      return;
    }
    // Another utterance (not ours, or one whose end we missed) is still playing: wait.
    if (synth.speaking || synth.pending) {
      window.setTimeout(speakNext, RETRY_MS);
      return;
    }
    var item = queue.shift();
    var utterance = new window.SpeechSynthesisUtterance(item.text);
    utterance.lang = item.lang;
    utterance.rate = 0.9;
    var voice = voiceFor(item.lang);
    if (voice) {
      utterance.voice = voice;
    }
    var done = false;
    utterance.onend = function () {
      if (!done) {
        done = true;
        finished();
      }
    };
    utterance.onerror = function (event) {
      if (done) {
        return;
      }
      done = true;
      if (event && event.error === "not-allowed") {
        // No sound until someone touches the screen; old calls are not worth replaying.
        blocked = true;
        queue = [];
        speaking = false;
        showSoundButton();
        return;
      }
      finished();
    };
    speaking = true;
    synth.speak(utterance);
  }

  function announce(sentences) {
    for (var i = 0; i < sentences.length; i++) {
      queue.push({ text: sentences[i].text, lang: sentences[i].lang });
    }
    while (queue.length > MAX_QUEUE) {
      queue.shift();
    }
    speakNext();
  }

  function showSoundButton() {
    if (soundButton) {
      soundButton.hidden = false;
    }
  }

  if (soundButton) {
    soundButton.addEventListener("click", function () {
      blocked = false;
      soundButton.hidden = true;
      speakNext();
    });
  }
  if (!synth) {
    showSoundButton();
  }

  // ---- the calls on screen ---------------------------------------------------------------

  var refreshTimer = null;

  function refreshCalls() {
    refreshTimer = null;
    if (window.htmx && calls && callsUrl) {
      window.htmx.ajax("GET", callsUrl, { target: calls, swap: "innerHTML" });
    }
  }

  function scheduleRefresh() {
    // A burst of events (a counter closing, a recall) becomes one request.
    if (refreshTimer === null) {
      refreshTimer = window.setTimeout(refreshCalls, 150);
    }
  }

  function setOnline(online) {
    if (status) {
      status.hidden = online;
    }
  }

  function connect() {
    if (!window.EventSource || !eventsUrl) {
      // No live stream: poll the calls every few seconds instead.
      window.setInterval(refreshCalls, 5000);
      return;
    }
    var source = new window.EventSource(eventsUrl);
    source.addEventListener("open", function () {
      setOnline(true);
    });
    source.addEventListener("error", function () {
      // EventSource reconnects by itself, sending Last-Event-ID.
      setOnline(source.readyState === window.EventSource.OPEN);
    });
    source.addEventListener("ticket", function (event) {
      var data = null;
      try {
        data = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      board.setAttribute("data-last-event-id", event.lastEventId || "");
      if (data.announce && data.announce.length) {
        announce(data.announce);
      }
      scheduleRefresh();
    });
  }

  // ---- the clock -------------------------------------------------------------------------

  function tick() {
    if (!clock) {
      return;
    }
    try {
      clock.textContent = new Date().toLocaleTimeString(document.documentElement.lang, {
        hour: "2-digit",
        minute: "2-digit",
        timeZone: timezone,
      });
    } catch (error) {
      clock.textContent = new Date().toLocaleTimeString();
    }
  }

  tick();
  window.setInterval(tick, 10000);
  connect();
})();
