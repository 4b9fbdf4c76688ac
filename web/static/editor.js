// Enhances the editor's tag input: Enter adds the tag as a removable pill instead of
// submitting the form. Without this script the same input takes tags separated by commas
// or spaces, so the page works either way.
(function () {
  "use strict";
  var input = document.querySelector("input[data-tag-input]");
  if (!input) { return; }
  var list = document.querySelector("[data-tag-list]");

  function addPill(name) {
    var existing = list.querySelectorAll("input[name=tag]");
    for (var i = 0; i < existing.length; i++) {
      if (existing[i].value === name) { return; }
    }
    var pill = document.createElement("span");
    pill.className = "tag-default tag-pill";
    var close = document.createElement("i");
    close.className = "ion-close-round";
    close.setAttribute("role", "button");
    close.setAttribute("aria-label", "Remove tag " + name);
    close.addEventListener("click", function () { pill.remove(); });
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = "tag";
    hidden.value = name;
    pill.appendChild(close);
    pill.appendChild(document.createTextNode(" " + name));
    pill.appendChild(hidden);
    list.appendChild(pill);
  }

  list.querySelectorAll(".tag-pill").forEach(function (pill) {
    var close = pill.querySelector(".ion-close-round");
    if (close) { close.addEventListener("click", function () { pill.remove(); }); }
  });

  input.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") { return; }
    event.preventDefault();
    input.value.split(/[,\s]+/).forEach(function (name) {
      name = name.trim();
      if (name) { addPill(name); }
    });
    input.value = "";
  });
})();
