if header :is :is "subject" "x" { keep; }
