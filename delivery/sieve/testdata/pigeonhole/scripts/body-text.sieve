# body with :text (the default) and :contains.
require ["body", "fileinto"];
if body :contains "meeting" { fileinto "Meeting"; }
if body :text :contains "XMAS2023" { fileinto "Code"; }
if body :contains "alles 20% billiger" { fileinto "Deal"; }
if body :contains "caf" { fileinto "Cafe"; }
