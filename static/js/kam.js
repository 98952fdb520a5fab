/* KAM: small behaviours shared by every page of the base layout. */
(function () {
  "use strict";

  // A box that scrolls (wide tables, timelines) must be reachable from the keyboard, so
  // that its hidden part can be scrolled into view, and named for screen readers: while
  // it scrolls it gets a tab stop, role=region and the label of its table's caption or of
  // the nearest heading before it. Boxes that fit get nothing: no useless tab stops.
  var BOXES = ".table-responsive, .overflow-auto, .overflow-x-auto, .overflow-y-auto";
  var HEADINGS = "h1, h2, h3, h4, h5, h6";
  var MARK = "data-scroll-focus";  // the attributes added here, the only ones to undo

  function text(element) {
    return element ? element.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function headingBefore(box) {
    var node = box;
    while (node && node !== document.body) {
      var previous = node.previousElementSibling;
      if (!previous) {
        node = node.parentElement;
        continue;
      }
      var inside = previous.querySelectorAll(HEADINGS);
      var heading = previous.matches(HEADINGS) ? previous : inside[inside.length - 1];
      if (text(heading)) return heading;
      node = previous;
    }
    return null;
  }

  function label(box) {
    var table = box.querySelector("table");
    return text(box.querySelector("caption")) || (table && table.getAttribute("aria-label"))
      || text(headingBefore(box)) || document.title;
  }

  function mark(box) {
    var scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
    if (scrolls && !box.hasAttribute("tabindex")) {
      var added = {tabindex: "0"};
      if (!box.hasAttribute("role")) added.role = "region";
      if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
        added["aria-label"] = label(box);
      }
      Object.keys(added).forEach(function (name) { box.setAttribute(name, added[name]); });
      box.setAttribute(MARK, Object.keys(added).join(" "));
    } else if (!scrolls && box.hasAttribute(MARK)) {
      box.getAttribute(MARK).split(" ").forEach(function (name) { box.removeAttribute(name); });
      box.removeAttribute(MARK);
    }
  }

  // A box's size changes with the window, and from nothing when a closed <details>
  // holding it opens; new content (htmx swaps) brings new boxes.
  var observer = window.ResizeObserver ? new ResizeObserver(function (entries) {
    entries.forEach(function (entry) { mark(entry.target); });
  }) : null;

  function scan(root) {
    var boxes = Array.prototype.slice.call(root.querySelectorAll(BOXES));
    if (root.matches && root.matches(BOXES)) boxes.push(root);
    boxes.forEach(function (box) {
      mark(box);
      if (observer) observer.observe(box);
    });
  }

  // Behaviours the templates ask for by attribute, since the Content-Security-Policy runs
  // no inline handler: data-submit-on-change (a select that submits its form, such as the
  // language switch), data-confirm (a form that asks before it submits) and data-print.
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("[data-submit-on-change]") && field.form) {
      field.form.submit();
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) window.print();
  });

  scan(document);
  document.addEventListener("htmx:load", function (event) { scan(event.target); });
  window.addEventListener("load", function () {
    document.querySelectorAll(BOXES).forEach(mark);
  });
})();
