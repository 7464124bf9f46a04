/* Quick exit, progressive enhancement (docs/reporting.md, "The quick exit").

   Without JavaScript the button is a link to the desk's /report/leave, which answers with a
   redirect to a neutral site and `Cache-Control: no-store` (as every reporter page does), so
   Back shows an empty form, never the words typed.

   With JavaScript: the page is blanked at once and the visit is *replaced* in the history
   (location.replace), so Back does not return to it. The keyboard shortcut is Esc, and only
   when the focus is NOT in a place to type: nothing typed into a field can ever leave the
   page (the old "Shift three times" left while a child typed "I LOST"). No inline script
   (the CSP forbids it), nothing stored anywhere. */
(function () {
  "use strict";
  var link = document.getElementById("quick-exit");
  if (!link) { return; }
  var target = link.getAttribute("data-exit") || link.href;
  var hint = document.getElementById("quick-exit-hint");
  if (hint) { hint.hidden = false; }  /* CSS still hides it on touch screens */

  function leave(event) {
    if (event) { event.preventDefault(); }
    document.title = "";
    if (document.body) { document.body.hidden = true; }
    window.location.replace(target);
  }

  function typingIn(el) {
    if (!el || !el.tagName) { return false; }
    var tag = el.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || el.isContentEditable;
  }

  link.addEventListener("click", leave);

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.repeat || event.isComposing) { return; }
    if (typingIn(event.target) || typingIn(document.activeElement)) { return; }
    leave(event);
  });
})();
