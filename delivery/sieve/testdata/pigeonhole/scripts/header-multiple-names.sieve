# Several header names and keys; :count over them.
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if header :contains ["to", "cc", "bcc"] "user" { fileinto "ToMe"; }
if header :count "eq" :comparator "i;ascii-numeric" ["to", "cc", "x-none"] "2" { fileinto "Two"; }
if address :count "ge" :comparator "i;ascii-numeric" ["from", "sender"] "2" { fileinto "FromSender"; }
if exists ["to", "from", "subject", "message-id"] { fileinto "Complete"; }
