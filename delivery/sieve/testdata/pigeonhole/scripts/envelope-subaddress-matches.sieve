# to: user+a.b@example.com
require ["envelope", "subaddress", "variables", "fileinto"];
if envelope :detail :matches "to" "*.*" { fileinto "${1}/${2}"; }
if envelope :user :contains "to" "se" { fileinto "Contains"; }
