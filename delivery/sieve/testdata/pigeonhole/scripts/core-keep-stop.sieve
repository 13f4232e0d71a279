# keep, stop and what comes after them.
if header :contains "from" "example.org" {
  keep;
  stop;
}
if true {
  discard;
}
keep;
