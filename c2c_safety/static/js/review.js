/* The item page's keyboard shortcuts and in-place presets: progressive enhancement only.
   Without this file every action is a link, a button or a form post, and works the same.
   Loaded from our own origin (CSP script-src 'self'); no inline script anywhere. */
(function () {
  "use strict";
  var form = document.getElementById("decide-form");

  // Only where keys type text (or pick from a list) are the shortcuts off: on a radio button
  // or a checkbox "f" or "1" still mean what the shortcut list says.
  var NOT_TEXT = {radio: true, checkbox: true, button: true, submit: true, reset: true, hidden: true};

  function typing(el) {
    if (!el) { return false; }
    var tag = el.tagName;
    if (tag === "INPUT") { return !NOT_TEXT[(el.getAttribute("type") || "text").toLowerCase()]; }
    return tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function say(text) {
    var status = document.getElementById("preset-status");
    if (status) { status.textContent = text; }
  }

  function chooseAction(value) {
    if (!form) { return false; }
    var radio = form.querySelector('input[name="action"][value="' + value + '"]');
    if (!radio) { return false; }
    radio.checked = true;
    radio.focus();
    return true;
  }

  function applyPreset(link) {
    if (!form) { return false; }
    var reason = form.querySelector('select[name="reason_code"]');
    var duration = form.querySelector('select[name="duration"]');
    var facts = form.querySelector('textarea[name="facts"]');
    chooseAction(link.getAttribute("data-action"));
    // Under appeal every preset is a reversal.
    var reverse = form.querySelector('input[name="appeal_outcome"][value="reverse"]');
    if (reverse) { reverse.checked = true; }
    if (reason) { reason.value = link.getAttribute("data-reason"); }
    if (duration) { duration.value = link.getAttribute("data-duration") || ""; }
    if (facts) { facts.value = link.getAttribute("data-facts"); }
    say("Preset applied: " + link.textContent.replace(/^\s*\d\s+/, "") +
        ". Check the statement, then record the decision.");
    var submit = document.getElementById("decide-next");
    if (submit) { submit.focus(); }
    return true;
  }

  function submitNext() {
    var submit = document.getElementById("decide-next");
    if (submit) { submit.click(); }
  }

  var presets = Array.prototype.slice.call(document.querySelectorAll("a.preset"));
  presets.forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (applyPreset(link)) { event.preventDefault(); }
    });
  });

  var actions = {n: "no_violation", r: "remove", h: "restrict", w: "warn", s: "request_suspension",
                 g: "escalate_safeguarding", c: "escalate_case"};

  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      if (form && form.contains(document.activeElement) || !typing(document.activeElement)) {
        event.preventDefault();
        submitNext();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var key = event.key;
    var reveal = document.getElementById("reveal-button");
    if (key === "v" && reveal) { event.preventDefault(); reveal.click(); return; }
    if (/^[1-9]$/.test(key)) {
      var link = document.querySelector('a.preset[aria-keyshortcuts="' + key + '"]');
      if (link && applyPreset(link)) { event.preventDefault(); }
      return;
    }
    if (Object.prototype.hasOwnProperty.call(actions, key)) {
      if (chooseAction(actions[key])) { event.preventDefault(); }
      return;
    }
    if (key === "f" && form) {
      var facts = form.querySelector('textarea[name="facts"]');
      if (facts) { event.preventDefault(); facts.focus(); }
      return;
    }
    if (key === "u") {
      var uphold = document.getElementById("uphold-next");
      if (uphold) { event.preventDefault(); uphold.click(); }
      return;
    }
    if (key === "j") {
      var next = document.getElementById("next-form");
      if (next) { event.preventDefault(); next.submit(); }
      return;
    }
    if (key === "?") {
      var help = document.getElementById("shortcuts");
      if (help) { event.preventDefault(); help.open = !help.open; }
    }
  });
}());
