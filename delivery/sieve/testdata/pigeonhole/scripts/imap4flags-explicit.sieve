# :flags on keep and fileinto, and hasflag.
require ["imap4flags", "fileinto"];
addflag "Junk";
if hasflag :contains "junk" {
  fileinto :flags ["\\Answered", "Work"] "Work";
}
if hasflag :is ["Junk", "Other"] { keep :flags "\\Draft"; }
keep;
