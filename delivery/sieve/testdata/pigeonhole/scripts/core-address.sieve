# The address test with each address part and comparators.
require ["fileinto"];
if address :all :is "from" "alice@example.org" { fileinto "A1"; }
if address :localpart :is ["to", "cc"] "user" { fileinto "A2"; }
if address :domain :is :comparator "i;octet" "to" "example.com" { fileinto "A3"; }
if address :domain :is :comparator "i;ascii-casemap" "to" "EXAMPLE.COM" { fileinto "A4"; }
if address :all :contains "cc" "carol" { fileinto "A5"; }
if address :localpart :matches "from" "*-daemon" { fileinto "A6"; }
if address :all :is "to" "undisclosed-recipients:;" { fileinto "A7"; }
if address :all :is ["cc"] "" { fileinto "A8"; }
if address :domain :is "reply-to" "corp.example" { fileinto "A9"; }
