/* Quick exit, progressive enhancement: without JavaScript the link simply goes to a neutral
   site. With it, the page is blanked at once and the visit to it is *replaced* in the
   history (location.replace), so the Back button does not bring it back; pressing Shift
   three times in a row leaves too. No inline script (the CSP forbids it), nothing stored. */
(function () {
  "use strict";
  var link = document.getElementById("quick-exit");
  if (!link) { return; }
  var hint = document.getElementById("quick-exit-hint");
  if (hint) { hint.hidden = false; }

  function leave(event) {
    if (event) { event.preventDefault(); }
    document.title = "";
    if (document.body) { document.body.hidden = true; }
    window.location.replace(link.href);
  }

  link.addEventListener("click", leave);

  var presses = [];
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Shift" || event.repeat) { return; }
    var now = Date.now();
    presses = presses.filter(function (t) { return now - t < 1500; });
    presses.push(now);
    if (presses.length >= 3) { leave(null); }
  });
})();
