# reject and discard may be combined; reject after keep may not.
require ["reject"];
if header :contains "subject" "Hello" { discard; reject "Go away"; }
if header :contains "subject" "Leap" { keep; reject "Go away"; }
