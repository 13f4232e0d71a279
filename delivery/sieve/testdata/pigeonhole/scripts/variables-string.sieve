# The string test.
require ["variables", "relational", "comparator-i;ascii-numeric", "fileinto"];
set "a" "";
set "b" "x";
if string :count "eq" :comparator "i;ascii-numeric" ["${a}", "${b}", "y"] "2" { fileinto "Count2"; }
if string :is "${unset}" "" { fileinto "Unset"; }
if string :matches "${b}${b}" "xx" { fileinto "Concat"; }
if string :value "gt" "b" "a" { fileinto "Greater"; }
