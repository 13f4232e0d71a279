# duplicate: Pigeonhole's sieve-test never finds one; the tracking action shows.
require ["duplicate", "fileinto"];
if duplicate { discard; }
if duplicate :header "subject" :handle "subj" { fileinto "Dup"; }
if duplicate :uniqueid "fixed" :seconds 60 :last { fileinto "Dup2"; }
