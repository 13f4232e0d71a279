# body :raw sees the transfer encoding.
require ["body", "fileinto"];
if body :raw :contains "=C3=9F" { fileinto "QP"; }
if body :raw :contains "PGh0bWw+" { fileinto "B64"; }
if body :raw :matches "*claim*" { fileinto "Claim"; }
