// Phone helpers for every public and portal page (no inline script: the CSP allows our own files).
// - The header menu folds behind a "Menu" button on narrow screens.
// - Filter drawers (<details data-drawer>) start open on wide screens.
(function () {
  const narrow = window.matchMedia("(max-width: 40em)");
  const toggle = document.querySelector(".menu-toggle");
  const nav = document.getElementById("site-nav");
  if (toggle && nav) {
    document.documentElement.classList.add("js-menu");
    toggle.hidden = false;
    toggle.addEventListener("click", () => {
      const open = nav.classList.toggle("is-open");
      toggle.setAttribute("aria-expanded", String(open));
    });
  }
  if (!narrow.matches) {
    document.querySelectorAll("details[data-drawer]").forEach((drawer) => {
      drawer.open = true;
    });
  }
})();
