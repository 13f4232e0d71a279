require "date";
if date :zone "+0100" :originalzone "date" "year" "2020" { keep; }
