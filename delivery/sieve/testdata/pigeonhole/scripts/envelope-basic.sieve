# envelope from and to, with address parts.
require ["envelope", "fileinto"];
if envelope :all :is "from" "sender@example.org" { fileinto "Env1"; }
if envelope :domain :is "to" "example.com" { fileinto "Env2"; }
if envelope :localpart :contains "from" "send" { fileinto "Env3"; }
if envelope :matches "to" "*@*" { fileinto "Env4"; }
