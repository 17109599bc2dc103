// The review form saves itself as the reviewer goes: a change waits for a pause, then the
// whole form is posted to its save address, which answers with the new version. Texts come
// from data- attributes (translated on the server). Without JavaScript the buttons work.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("review-form");
  if (!form || !window.fetch || !window.FormData) return;
  var url = form.getAttribute("data-autosave-url");
  var status = form.querySelector(".autosave-status");
  var version = form.querySelector("input[name=version]");
  var timer = null;
  var busy = false;
  var again = false;
  var stopped = false;

  function say(text) {
    if (status) status.textContent = text || "";
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function save() {
    if (stopped) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    say(form.getAttribute("data-saving-text"));
    var data = new FormData(form);
    data.delete("action");
    fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "XMLHttpRequest", Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().then(function (body) {
          return { ok: response.ok, status: response.status, body: body };
        });
      })
      .then(function (answer) {
        if (answer.ok) {
          version.value = answer.body.version;
          var now = new Date();
          var time = answer.body.saved_at || pad(now.getHours()) + ":" + pad(now.getMinutes());
          say(form.getAttribute("data-saved-text").replace("{time}", time));
        } else if (answer.status === 409) {
          // Keep what was typed: the reviewer merges on the page the button brings.
          stopped = true;
          say(form.getAttribute("data-conflict-text"));
        } else {
          var error = answer.body && answer.body.error;
          say((error && error.message) || form.getAttribute("data-error-text"));
        }
      })
      .catch(function () {
        say(form.getAttribute("data-error-text"));
      })
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          save();
        }
      });
  }

  function later() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, 1500);
  }

  form.addEventListener("change", later);
  form.addEventListener("input", later);
  form.addEventListener("submit", function () {
    // A button press posts the form itself; no autosave may race it.
    stopped = true;
    if (timer) clearTimeout(timer);
  });
});
