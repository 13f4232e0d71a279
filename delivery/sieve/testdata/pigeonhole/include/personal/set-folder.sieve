require ["include", "variables"];
global "folder";
if header :contains "subject" "Hello" { set "folder" "Greetings"; return; }
set "folder" "${folder}-seen";
