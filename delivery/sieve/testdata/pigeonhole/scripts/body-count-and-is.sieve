# body with :is, :matches and :count.
require ["body", "fileinto", "relational", "comparator-i;ascii-numeric"];
if body :text :matches "*report*" { fileinto "Report"; }
if body :content "text/plain" :count "ge" :comparator "i;ascii-numeric" "1" { fileinto "HasText"; }
if body :content "" :count "ge" :comparator "i;ascii-numeric" "3" { fileinto "ThreeParts"; }
if body :is "" { fileinto "EmptyBody"; }
