// The goal form shows the fields of the chosen kind only (without JavaScript, all show).
document.addEventListener("DOMContentLoaded", function () {
  var kind = document.getElementById("id_kind");
  if (!kind) return;
  function update() {
    document.querySelectorAll("[data-kinds]").forEach(function (el) {
      el.hidden = el.getAttribute("data-kinds").split(" ").indexOf(kind.value) < 0;
    });
  }
  kind.addEventListener("change", update);
  update();
});
