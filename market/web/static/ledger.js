/* The monthly ledger form: each line's balance shown as it is typed.
 *
 * balance = generated − (used in-house + outside the exchange + received on the exchange
 *           − utilised from stockpiles + stored + disposed − disposed from stockpiles + dumped)
 *
 * Sums run in integer kilograms (tonnes have at most 3 decimals), so 0.1 + 0.2 shows 0.3.
 * The server checks the same identity on saving; this is only a guide while typing.
 * Loaded from /static (the CSP allows no inline script).
 */
(function () {
  "use strict";
  var table = document.getElementById("ledger-lines");
  if (!table) { return; }
  var PLUS = ["used_inhouse_t", "shipped_outside_exchange_t", "stored_t", "disposed_t", "dumped_t"];
  var MINUS = ["utilised_from_stockpile_t", "disposed_from_stockpile_t"];
  var toleranceKg = kg(table.getAttribute("data-tolerance")) || 0;
  var receiptPct = parseFloat(table.getAttribute("data-receipt-pct") || "0") || 0;
  var okText = table.getAttribute("data-ok") || "";
  var offText = table.getAttribute("data-off") || "";

  function kg(text) {
    if (text === null || text === undefined) { return null; }
    var clean = String(text).replace(/[,，\s]/g, "");
    if (clean === "") { return 0; }
    if (!/^-?\d+(\.\d{0,3})?$/.test(clean)) { return NaN; }
    var negative = clean.charAt(0) === "-";
    var parts = clean.replace("-", "").split(".");
    var value = parseInt(parts[0], 10) * 1000 + parseInt(((parts[1] || "") + "000").slice(0, 3), 10);
    return negative ? -value : value;
  }

  function tonnes(valueKg) {
    var sign = valueKg < 0 ? "-" : "";
    var abs = Math.abs(valueKg);
    var whole = Math.floor(abs / 1000);
    var frac = String(abs % 1000);
    while (frac.length < 3) { frac = "0" + frac; }
    frac = frac.replace(/0+$/, "");
    var grouped = String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return sign + grouped + (frac ? "." + frac : "");
  }

  function field(row, term) {
    var input = row.querySelector('input[data-term="' + term + '"]');
    return input ? kg(input.value) : 0;
  }

  function update(row) {
    var out = row.querySelector("output.balance");
    if (!out) { return; }
    var generatedInput = row.querySelector('input[data-term="generated_t"]');
    var typed = Array.prototype.some.call(row.querySelectorAll("input[data-term]"), function (i) {
      return i.value.trim() !== "";
    });
    if (!generatedInput || !typed) { out.textContent = "–"; out.className = "balance"; return; }
    var receivedKg = kg(row.getAttribute("data-received")) || 0;
    var accounted = receivedKg;
    var bad = false;
    PLUS.forEach(function (t) { var v = field(row, t); if (isNaN(v)) { bad = true; } accounted += v; });
    MINUS.forEach(function (t) { var v = field(row, t); if (isNaN(v)) { bad = true; } accounted -= v; });
    var generated = field(row, "generated_t");
    if (bad || isNaN(generated)) { out.textContent = "?"; out.className = "balance off"; return; }
    var difference = generated - accounted;
    var tolerance = toleranceKg + Math.round(receivedKg * receiptPct / 100);
    var ok = Math.abs(difference) <= tolerance;
    out.textContent = tonnes(difference) + " · " + (ok ? okText : offText);
    out.className = "balance " + (ok ? "ok" : "off");
  }

  var rows = table.querySelectorAll(".ledger-line");
  Array.prototype.forEach.call(rows, function (row) {
    row.addEventListener("input", function () { update(row); });
    update(row);
  });
})();
