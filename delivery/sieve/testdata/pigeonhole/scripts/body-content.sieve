# body :content by type.
require ["body", "fileinto"];
if body :content "text/html" :contains "billiger" { fileinto "Html"; }
if body :content "text" :contains "invoice" { fileinto "Invoice"; }
if body :content "application/pdf" :contains "PDF-1.4" { fileinto "Pdf"; }
if body :content "message/rfc822" :contains "Original invoice" { fileinto "Forwarded"; }
if body :content "text/plain" :is "" { fileinto "EmptyText"; }
