# Flags in variables.
require ["imap4flags", "variables", "fileinto", "relational", "comparator-i;ascii-numeric"];
set "myflags" "";
addflag "myflags" ["\\Seen", "A B"];
removeflag "myflags" "A";
if hasflag "myflags" "B" { fileinto :flags "${myflags}" "VarFlags"; }
if hasflag :count "eq" :comparator "i;ascii-numeric" "myflags" "2" { setflag "counted"; }
