# mailboxexists and fileinto :create.
require ["mailbox", "fileinto"];
if mailboxexists "Work" { fileinto "Work"; }
if mailboxexists ["INBOX", "Nope"] { fileinto "Both"; }
if not mailboxexists "Missing" { fileinto :create "Missing"; }
if mailboxexists "Archive" { fileinto :create "Archive"; }
