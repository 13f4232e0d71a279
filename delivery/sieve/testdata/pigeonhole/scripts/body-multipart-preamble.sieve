# :content "multipart" sees the preamble and epilogue.
require ["body", "fileinto"];
if body :content "multipart" :contains "multi-part message" { fileinto "Preamble"; }
if body :content "multipart/mixed" :contains "epilogue" { fileinto "Epilogue"; }
if body :content "message" :contains "Dave" { fileinto "Rfc822"; }
