# regex match type and its match variables.
require ["regex", "variables", "fileinto"];
if header :regex "subject" "^\\[([a-z]+)\\]" { fileinto "List-${1}"; }
if header :regex "x-spam-score" "^[0-9]+$" { fileinto "Numeric"; }
if address :regex :localpart "from" "^(alice|bob)$" { fileinto "Friends"; }
if header :regex :comparator "i;octet" "subject" "hello" { fileinto "Lower"; }
if header :regex "subject" "hello" { fileinto "AnyCase"; }
if header :regex "subject" "(won|spam).*([0-9]+)" { fileinto "R-${1}-${2}"; }
