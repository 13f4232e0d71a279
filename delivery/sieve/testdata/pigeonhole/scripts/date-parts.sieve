# Every date part in the original zone.
require ["date", "variables", "fileinto"];
if date :originalzone :matches "date" "year" "*" { set "y" "${1}"; }
if date :originalzone :matches "date" "month" "*" { set "m" "${1}"; }
if date :originalzone :matches "date" "day" "*" { set "d" "${1}"; }
if date :originalzone :matches "date" "weekday" "*" { set "w" "${1}"; }
if date :originalzone :matches "date" "julian" "*" { set "j" "${1}"; }
if date :originalzone :matches "date" "zone" "*" { set "z" "${1}"; }
if date :originalzone :matches "date" "time" "*" { set "t" "${1}"; }
fileinto "${y}-${m}-${d} w${w} j${j} ${z} ${t}";
