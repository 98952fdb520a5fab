/* Attachments (records/_attachments.html): drag and drop onto the drop zone, and an
   upload sent with a progress bar; the answer is the refreshed panel. Without script the
   same form posts as it is. Delegated from the document, so swapped panels just work. */
(function () {
  "use strict";

  function formOf(element) {
    return element && element.closest ? element.closest("[data-attachment-form]") : null;
  }

  function showError(form, text) {
    var box = form.querySelector("[data-attachment-error]");
    if (box) box.textContent = text || "";
  }

  function setProgress(form, percent) {
    var progress = form.querySelector("[data-attachment-progress]");
    if (!progress) return;
    progress.classList.remove("d-none");
    progress.setAttribute("aria-valuenow", String(percent));
    progress.firstElementChild.style.width = percent + "%";
    progress.firstElementChild.textContent = percent + " %";
  }

  function send(form) {
    var input = form.querySelector("input[type=file]");
    if (!input || !input.files.length) return;
    var button = form.querySelector("[data-attachment-submit]");
    var request = new XMLHttpRequest();
    showError(form, "");
    setProgress(form, 0);
    if (button) button.disabled = true;
    request.open("POST", form.action);
    request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    request.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) setProgress(form, Math.round(100 * event.loaded / event.total));
    });
    request.addEventListener("load", function () {
      var answer = null;
      try { answer = JSON.parse(request.responseText); } catch (error) { answer = null; }
      if (request.status === 201 && answer && answer.html) {
        var panel = form.closest("[data-attachments]");
        var holder = document.createElement("div");
        holder.innerHTML = answer.html;
        var fresh = holder.firstElementChild;
        panel.replaceWith(fresh);
        var status = fresh.querySelector("[data-attachment-error]");
        if (status) {
          status.classList.replace("text-danger", "text-success");
          status.textContent = answer.message;
        }
        return;
      }
      if (button) button.disabled = false;
      showError(form, answer && answer.errors ? answer.errors.join(" ") : form.getAttribute("data-failed") || request.statusText);
    });
    request.addEventListener("error", function () {
      if (button) button.disabled = false;
      showError(form, form.getAttribute("data-failed"));
    });
    request.send(new FormData(form));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("[data-attachment-form]") || !window.FormData) return;
    event.preventDefault();
    send(form);
  });

  ["dragenter", "dragover"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var zone = event.target.closest && event.target.closest("[data-attachment-drop]");
      if (!zone) return;
      event.preventDefault();
      zone.classList.add("border-primary");
    });
  });
  document.addEventListener("dragleave", function (event) {
    var zone = event.target.closest && event.target.closest("[data-attachment-drop]");
    if (zone) zone.classList.remove("border-primary");
  });
  document.addEventListener("drop", function (event) {
    var zone = event.target.closest && event.target.closest("[data-attachment-drop]");
    if (!zone) return;
    event.preventDefault();
    zone.classList.remove("border-primary");
    var form = formOf(zone);
    var input = form && form.querySelector("input[type=file]");
    if (!input || !event.dataTransfer || !event.dataTransfer.files.length) return;
    input.files = event.dataTransfer.files;
    send(form);
  });
})();
