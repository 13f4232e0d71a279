# discard, then keep: both are printed; the keep wins for delivery.
discard;
if header :contains "subject" "Hello" { keep; }
