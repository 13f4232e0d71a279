# encoded-character in keys and mailbox names.
require ["encoded-character", "fileinto"];
if header :contains "subject" "${hex:48 65 6c 6c 6f}" { fileinto "${hex:48}ex"; }
if header :contains "subject" "Gro${unicode:00DF}e" { fileinto "Uni${unicode:263a}"; }
if header :contains "subject" "${hex:zz}" { fileinto "Bad"; }
if header :contains "subject" "Caf${unicode: e9 }" { fileinto "Cafe"; }
