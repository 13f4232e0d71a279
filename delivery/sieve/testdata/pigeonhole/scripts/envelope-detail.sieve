# to: user+box@example.com
# from: Boss+Alerts@Corp.Example
require ["envelope", "subaddress", "fileinto"];
if envelope :detail "to" "box" { fileinto "Box"; }
if envelope :user :is "to" "user" { fileinto "User"; }
if envelope :detail :is "from" "alerts" { fileinto "Alerts"; }
if envelope :domain :is "from" "corp.example" { fileinto "Corp"; }
