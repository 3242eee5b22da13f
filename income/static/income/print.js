// The "Print" button of printable pages (no inline script: the CSP allows only our own files).
document.querySelectorAll("[data-print]").forEach((button) => button.addEventListener("click", () => window.print()));
