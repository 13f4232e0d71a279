# The base tests: header with each match type, exists, size, not, anyof, allof.
require "fileinto";
if header :contains "subject" "report" {
  fileinto "Work";
} elsif header :is "subject" "Hello world" {
  fileinto "Exact";
} elsif header :matches "subject" "*SPAM*" {
  discard;
} elsif anyof (exists "list-id", header :contains "to" "lists.example.net") {
  fileinto "Lists";
} elsif allof (exists ["from", "date"], not exists "x-nothing", size :over 500) {
  fileinto "Big";
} elsif size :under 300 {
  fileinto "Small";
}
