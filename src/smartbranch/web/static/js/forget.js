/* Nothing about a customer stays in the browser (MISSION: the tablet keeps no customer
 * data). HTMX 2 writes the current path to sessionStorage when it loads, even with its
 * history cache off — and a staff page's path can hold a customer number
 * (/workbench/customers/C…). Remove it once HTMX has written it, and again when the page
 * goes away. */
(function () {
  "use strict";
  var KEY = "htmx-current-path-for-history";
  function forget() {
    try {
      window.sessionStorage.removeItem(KEY);
    } catch (error) {
      /* storage disabled: nothing was written */
    }
  }
  forget();
  document.addEventListener("DOMContentLoaded", forget);
  document.addEventListener("htmx:afterSettle", forget);
  window.addEventListener("pagehide", forget);
})();
