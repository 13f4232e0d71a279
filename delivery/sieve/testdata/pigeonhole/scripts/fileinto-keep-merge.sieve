# keep and fileinto INBOX are the same store.
require "fileinto";
fileinto "INBOX";
keep;
if header :contains "subject" "a" { fileinto "Other"; }
