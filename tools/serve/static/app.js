// capa serve - the little script the pages need: add and remove rows of repeating groups.
// Everything works without it (one empty row is always offered); no inline handlers, so the
// Content-Security-Policy can forbid inline script.
'use strict';
document.addEventListener('click', function (ev) {
  var t = ev.target;
  if (t.matches('button.addrow')) {
    ev.preventDefault();
    var table = document.getElementById(t.dataset.group);
    var rows = table.querySelectorAll('tr.group-row');
    var last = rows[rows.length - 1];
    var next = parseInt(table.dataset.next, 10);
    var copy = last.cloneNode(true);
    copy.querySelectorAll('input, select, textarea').forEach(function (el) {
      el.name = el.name.replace(/\.\d+\./, '.' + next + '.');
      if (el.id) el.id = el.id.replace(/\.\d+\./, '.' + next + '.');
      var aria = el.getAttribute('aria-label');
      if (aria) el.setAttribute('aria-label', aria.replace(/ \d+$/, ' ' + next));
      el.value = '';
    });
    copy.querySelector('td.n').textContent = String(next);
    table.dataset.next = String(next + 1);
    last.parentNode.appendChild(copy);
  } else if (t.matches('button.delrow')) {
    ev.preventDefault();
    var row = t.closest('tr');
    // Leave the row's values empty rather than the row out: an empty value clears it.
    row.querySelectorAll('input, select, textarea').forEach(function (el) { el.value = ''; });
    row.hidden = true;
  }
});
