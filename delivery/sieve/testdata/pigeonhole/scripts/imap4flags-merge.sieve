# Stores to one folder merge; the later flags win.
require ["imap4flags", "fileinto"];
fileinto :flags "a" "Box";
addflag "b";
fileinto "Box";
keep :flags "\\Seen \\Answered";
addflag "c";
