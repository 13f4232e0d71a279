# Conversions between zones.
require ["date", "variables", "fileinto"];
if date :zone "-1130" :matches "date" "iso8601" "*" { set "a" "${1}"; }
if date :zone "+0000" :matches "date" "std11" "*" { set "b" "${1}"; }
fileinto "${a}";
fileinto "${b}";
