# Nested anyof, allof and not.
require "fileinto";
if allof (anyof (header :contains "subject" "hello", header :contains "subject" "leap"),
          not anyof (exists "list-id", header :is "x-spam-flag" "YES"),
          allof (true, not false)) {
  fileinto "Nested";
} elsif anyof (false, allof (exists "date", not exists "date")) {
  fileinto "Never";
} else {
  fileinto "Else";
}
