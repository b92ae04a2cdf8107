// Marks the navigation link of the page being shown (aria-current), so the
// header says where the person is, to the eye and to a screen reader.
"use strict";
(function () {
  const here = location.pathname;
  let best = null;
  for (const a of document.querySelectorAll("header nav a")) {
    const p = new URL(a.href).pathname;
    const match = p === "/" ? here === "/" : here === p || here.startsWith(p + "/");
    if (match && (!best || p.length > new URL(best.href).pathname.length)) best = a;
  }
  if (best) best.setAttribute("aria-current", "page");
})();
