require "imap4flags";
if hasflag "var" "x" { keep; }
