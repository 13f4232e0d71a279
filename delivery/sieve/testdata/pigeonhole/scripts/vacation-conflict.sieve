# vacation conflicts with reject; two vacations are an error.
require ["vacation", "reject"];
if header :contains "subject" "Hello" { vacation "a"; reject "b"; }
if header :contains "subject" "Leap" { vacation "a"; vacation "b"; }
vacation :handle "h" "c";
