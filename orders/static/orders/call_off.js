// The call-off form: the total in baht follows what is typed, and "fill what remains" fills its
// line here instead of asking the server. Without JavaScript both still work (the server shows the
// total, and the button re-shows the form with the line filled). Thai digits and commas are read.
(function () {
  const form = document.getElementById("call-off-form");
  if (!form) return;
  const output = document.getElementById("call-off-total");
  const thai = "๐๑๒๓๔๕๖๗๘๙";
  const number = (text) => {
    const plain = String(text || "").replace(/[๐-๙]/g, (d) => thai.indexOf(d)).replace(/[,\s฿]/g, "");
    const value = parseFloat(plain);
    return Number.isFinite(value) && value > 0 ? value : 0;
  };
  const format = new Intl.NumberFormat("th-TH", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const update = () => {
    // In whole thousandths of a unit × satang, as the server sums before it rounds to the satang.
    let parts = 0;
    form.querySelectorAll("input[data-price]").forEach((input) => {
      parts += Math.round(number(input.value) * 1000) * Math.round(number(input.dataset.price) * 100);
    });
    output.textContent = "฿" + format.format(Math.round(parts / 1000) / 100);
  };
  form.addEventListener("input", update);
  form.querySelectorAll("button[data-fill-line]").forEach((button) => {
    button.addEventListener("click", (event) => {
      const input = document.getElementById(button.dataset.fillLine);
      if (!input) return;
      event.preventDefault();
      input.value = input.dataset.fill;
      update();
    });
  });
})();
