# Anchors, classes and case.
require ["regex", "variables", "fileinto"];
if header :regex "message-id" "^<([a-z]+)\\.([0-9]+)@" { fileinto "Id-${1}-${2}"; }
if address :regex :all "to" "^user\\+?[a-z]*@example\\.com$" { fileinto "ToUser"; }
if header :regex "subject" "^$" { fileinto "Empty"; }
if header :regex :comparator "i;ascii-casemap" "subject" "URGENT|SPAM" { fileinto "Loud"; }
