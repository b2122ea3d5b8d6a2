#pragma once
// The retention report's style sheet and scripts. They live as files in report/assets/ (so that
// editors and linters see CSS and JavaScript) and are embedded into the library at build time.

namespace evomem::report {

const char* report_style();  // report/assets/report.css
// Runs first, so that it also records errors of the scripts after it (a syntax error
// included): the browser test reads them back from the DOM.
const char* report_error_recorder();  // report/assets/error_recorder.js
const char* report_text_view();       // report/assets/text_view.js

}  // namespace evomem::report
