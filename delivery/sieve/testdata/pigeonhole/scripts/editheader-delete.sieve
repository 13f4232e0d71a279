# deleteheader with and without patterns; Received stays.
require ["editheader", "fileinto", "index"];
deleteheader "x-spam-score";
if not exists "x-spam-score" { fileinto "NoScore"; }
deleteheader :matches "received" "*";
if exists "received" { fileinto "KeptReceived"; }
deleteheader :contains "subject" "SPAM";
if not exists "subject" { fileinto "Cleaned"; }
deleteheader :index 1 "subject";
if header :is "subject" "second subject" { fileinto "FirstGone"; }
