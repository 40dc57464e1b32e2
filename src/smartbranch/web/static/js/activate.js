/*
 * Device activation link: /device/activate#sbd_...
 *
 * The token travels in the URL fragment, which browsers never send to a server, so it
 * reaches no access log or proxy. This script moves it into the form field and removes it
 * from the address bar and the history entry. The user still presses "Activate".
 */
(function () {
  "use strict";

  function takeTokenFromFragment() {
    var field = document.getElementById("device-token");
    var hash = window.location.hash;
    if (!hash) {
      return;
    }
    var token = "";
    try {
      token = decodeURIComponent(hash.slice(1));
    } catch (error) {
      token = "";
    }
    if (field && token.indexOf("sbd_") === 0) {
      field.value = token;
    }
    // Drop the fragment from the address bar and from this history entry.
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }

  takeTokenFromFragment();
  // A second activation link opened on this page changes only the fragment.
  window.addEventListener("hashchange", takeTokenFromFragment);
})();
