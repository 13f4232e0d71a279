# The internal flags variable and the implicit keep.
require ["imap4flags", "fileinto"];
setflag "\\Seen";
addflag ["\\Flagged", "Important"];
if header :contains "subject" "Hello" {
  removeflag "\\Seen";
  fileinto "Flagged";
}
addflag "$Label1 $label1";
