(function () {
  var log = [];
  function record(message) {
    log.push(String(message));
    document.documentElement.setAttribute('data-page-errors', String(log.length));
    var box = document.getElementById('page-errors');
    if (box) { box.textContent = log.join('\n'); box.hidden = false; }
  }
  window.addEventListener('error', function (event) {
    record('error: ' + (event.message || ('failed to load ' + (event.target && (event.target.src || event.target.href)))) +
           (event.lineno ? ' (line ' + event.lineno + ')' : ''));
  }, true);
  // Errors before the box exists (a failed load in the head) show once the document is parsed.
  document.addEventListener('DOMContentLoaded', function () {
    var box = document.getElementById('page-errors');
    if (box && log.length) { box.textContent = log.join('\n'); box.hidden = false; }
  });
  window.addEventListener('unhandledrejection', function (event) { record('unhandled rejection: ' + event.reason); });
  var consoleError = console.error;
  console.error = function () {
    record('console.error: ' + Array.prototype.join.call(arguments, ' '));
    return consoleError.apply(console, arguments);
  };
  window.evomemRecordError = record;
})();
