# reject conflicts with fileinto: a run-time error, the message is kept.
require ["reject", "fileinto"];
if header :contains "subject" "server" {
  fileinto "Alerts";
  reject "No alerts please";
}
