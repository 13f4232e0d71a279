# date on Received (the date after the last ';') and currentdate.
require ["date", "relational", "fileinto", "index"];
if date :index 1 :zone "+0000" :is "received" "date" "2024-07-04" { fileinto "Rcvd"; }
if currentdate :value "ge" "year" "2020" { fileinto "Now"; }
if currentdate :zone "+0000" :value "lt" "year" "3000" { fileinto "Future"; }
if date :is "date" "month" ["02", "12"] { fileinto "Month"; }
