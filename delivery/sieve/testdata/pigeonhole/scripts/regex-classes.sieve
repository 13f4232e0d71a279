# POSIX classes, alternation and anchors.
require ["regex", "variables", "fileinto"];
if header :regex "subject" "[[:upper:]]{3,}" { fileinto "Shouting"; }
if header :regex "from" "<([^@]+)@([^>]+)>$" { fileinto "${2}"; }
if header :regex "x-spam-score" "^(1[0-9]|[2-9][0-9])$" { fileinto "High"; }
if not header :regex "subject" "." { fileinto "Empty"; }
