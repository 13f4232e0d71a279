# :value with i;ascii-numeric on a spam score.
require ["relational", "comparator-i;ascii-numeric", "fileinto"];
if header :value "ge" :comparator "i;ascii-numeric" "x-spam-score" "10" {
  fileinto "Spam";
} elsif header :value "lt" :comparator "i;ascii-numeric" "x-spam-score" "5" {
  fileinto "Ham";
} elsif header :value "eq" :comparator "i;ascii-numeric" "x-spam-score" "abc" {
  fileinto "NotANumber";
}
