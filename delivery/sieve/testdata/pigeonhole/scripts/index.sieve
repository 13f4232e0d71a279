# :index and :last on header and address.
require ["index", "fileinto"];
if header :index 2 :contains "received" "relay1" { fileinto "Second"; }
if header :index 1 :last :contains "received" "laptop" { fileinto "Origin"; }
if address :index 2 :domain :is "to" "corp.example" { fileinto "TeamSecond"; }
if header :index 2 :is "subject" "second subject" { fileinto "Sub2"; }
if header :index 5 :contains "received" "" { fileinto "NoFifth"; }
