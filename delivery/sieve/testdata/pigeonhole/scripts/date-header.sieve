# date on the Date header.
require ["date", "relational", "fileinto"];
if date :is "date" "year" "2021" { fileinto "Y2021"; }
if date :originalzone :is "date" "zone" "-0700" { fileinto "Pacific"; }
if date :zone "+0000" :is "date" "hour" "02" { fileinto "UTC2"; }
if date :value "ge" :originalzone "date" "date" "2023-06-01" { fileinto "Recent"; }
if date :is "date" "weekday" "0" { fileinto "Sunday"; }
if date :zone "+0100" :is "date" "std11" "Wed, 11 Aug 2021 03:11:23 +0100" { fileinto "Std11"; }
if date :originalzone :is "date" "iso8601" "2024-07-04T11:57:00+02:00" { fileinto "Iso"; }
if date :is "date" "julian" "59437" { fileinto "Julian"; }
if date :matches "date" "time" "*:*:*" { fileinto "HasTime"; }
