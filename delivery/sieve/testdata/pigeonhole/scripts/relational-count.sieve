# :count on headers and addresses.
require ["relational", "comparator-i;ascii-numeric", "fileinto"];
if header :count "ge" :comparator "i;ascii-numeric" "received" "2" { fileinto "Hops"; }
if address :count "gt" :comparator "i;ascii-numeric" ["to", "cc"] "2" { fileinto "Many"; }
if header :count "eq" :comparator "i;ascii-numeric" "subject" "2" { fileinto "TwoSubjects"; }
if header :value "le" "x-spam-score" "5" { fileinto "Early"; }
if header :value "ne" :comparator "i;octet" "subject" "Hello world" { fileinto "NotHello"; }
