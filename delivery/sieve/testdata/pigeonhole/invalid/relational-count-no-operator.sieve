require "relational";
if header :count "subject" "1" { keep; }
