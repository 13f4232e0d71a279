# A typical user's filter: thirty rules of the kinds mail clients write.
require ["fileinto", "envelope", "imap4flags", "variables", "relational",
         "comparator-i;ascii-numeric", "subaddress", "body", "date", "copy",
         "mailbox", "vacation", "regex", "reject", "editheader"];

if header :value "ge" :comparator "i;ascii-numeric" "x-spam-score" "10" { fileinto "Junk"; stop; }
if header :contains "x-spam-flag" "yes" { addflag "\\Seen"; fileinto "Junk"; stop; }
if address :domain :is "from" ["lottery.example", "casino.example"] { discard; stop; }
if header :matches "list-id" "*<*.lists.example.net>" { fileinto "Lists/${2}"; stop; }
if exists "list-id" { fileinto "Lists/other"; stop; }
if address :detail "to" "shopping" { fileinto "Shopping"; }
if address :detail "to" "work" { fileinto "Work"; }
if envelope :domain "from" "corp.example" { addflag "$Work"; }
if header :contains "subject" ["invoice", "receipt", "Rechnung"] { fileinto :copy "Finance"; }
if allof (address :is "from" "boss@corp.example", header :contains "subject" "urgent") { addflag "\\Flagged"; }
if header :regex "subject" "^\\[(jira|gitlab)\\] " { fileinto "Tickets"; }
if header :contains "from" "noreply" { addflag "automated"; }
if address :localpart :is "from" ["mailer-daemon", "postmaster"] { fileinto "Bounces"; }
if header :is "x-mailer" "ShopMailer 2.0" { fileinto "Newsletters"; }
if size :over 5M { addflag "big"; }
if body :contains "unsubscribe" { addflag "newsletter"; }
if header :contains "subject" "meeting" { fileinto :copy "Calendar"; }
if date :value "lt" :originalzone "date" "year" "2000" { addflag "old"; }
if header :matches "subject" "Re: *" { set "thread" "${1}"; }
if anyof (header :contains "cc" "team@corp.example", header :contains "to" "team@corp.example") { fileinto "Team"; }
if not exists "message-id" { addflag "no-id"; }
if header :count "gt" :comparator "i;ascii-numeric" "received" "10" { addflag "many-hops"; }
if address :all :is "reply-to" "replies@corp.example" { addflag "corp-reply"; }
if header :contains "content-type" "multipart/report" { fileinto "Reports"; }
if header :contains "importance" "high" { addflag "\\Flagged"; }
if address :domain :matches "from" "*.gov.example" { fileinto "Government"; }
if header :contains "subject" "password" { addflag "security"; }
if mailboxexists "Archive" { fileinto :copy "Archive"; }
if header :is "x-priority" "1" { addflag "\\Flagged"; }
if header :contains "subject" "away" { vacation :days 7 "I am away."; }
