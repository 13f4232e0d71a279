# Edits after an action do not count for it; deleteheader by value.
require ["editheader", "fileinto", "variables", "relational"];
fileinto "Before";
addheader "X-Tag" "one";
addheader "X-Tag" "two";
deleteheader :is "x-tag" "one";
if header :count "eq" "x-tag" "1" { fileinto "OneLeft"; }
if header :is "x-tag" "two" { fileinto "Two"; }
deleteheader :index 1 :last "received";
