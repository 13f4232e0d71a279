if header :value "gt" "subject" "x" { keep; }
