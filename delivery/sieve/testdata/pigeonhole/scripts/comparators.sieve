# The three comparators.
require ["fileinto", "comparator-i;ascii-numeric", "relational"];
if header :is :comparator "i;octet" "subject" "hello world" { fileinto "C1"; }
if header :is :comparator "i;ascii-casemap" "subject" "HELLO WORLD" { fileinto "C2"; }
if header :is :comparator "i;ascii-numeric" "x-spam-score" "03" { fileinto "C3"; }
if header :is :comparator "i;ascii-numeric" "x-spam-score" "abc" { fileinto "C4"; }
if header :value "lt" :comparator "i;ascii-numeric" "x-spam-score" "abc" { fileinto "C5"; }
