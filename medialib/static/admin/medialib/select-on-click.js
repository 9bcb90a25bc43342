// Selects the whole of a read-only key field when it is clicked (no inline handlers: CSP).
"use strict";
document.addEventListener("click", (event) => {
  const field = event.target.closest("[data-select-on-click]");
  if (field) field.select();
});
